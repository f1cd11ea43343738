// Exact connection counts shared by every worker VM.
//
// Envoy runs one VM per worker thread; the only memory they share is the proxy-wasm shared-data
// store (proxy-wasm-cpp-host src/shared_data.cc: SharedData::get/set, one map per vm_id, each
// value with a cas number bumped on every write; a set with a stale cas fails with
// CAS_MISMATCH). A count is an i64, little-endian, 8 bytes, under one key. Every change is a
// read-modify-write retried on CAS_MISMATCH, so two workers can never both take the last slot.
//
// A cas of 0 means "write unconditionally" (SharedData::set: `if (cas != 0U && cas != ...)`),
// and a key that does not exist yet reads with cas 0. So a count is never written with cas 0:
// an absent key is first created holding 0, then re-read (its cas is now non-zero; nextCas()
// skips 0) and incremented by CAS. The ABI has no create-if-absent, so two workers creating
// the same new key at the same instant can still both write that 0; if a third worker's
// increment lands between them, it is overwritten (README.md, "Limits of exactness").
//
// This file is pure logic over CasStore so the retry and bound rules are unit-tested without a
// host; filters/conn-accounting/shared-store.ts binds CasStore to the shared-data hostcalls.

/** A key/value store with compare-and-swap, as proxy_get_shared_data/proxy_set_shared_data. */
export abstract class CasStore {
  /** After load(): the stored count (0 when the key is absent) and its cas (0 when absent). */
  value: i64 = 0;
  cas: u32 = 0;
  /** Reads key into value/cas. Returns false when the stored bytes are not an 8-byte i64. */
  abstract load(key: string): bool;
  /** Writes value if the key's cas still equals cas; cas 0 writes unconditionally (creates).
   *  Returns true when written, false on CAS_MISMATCH. */
  abstract store(key: string, value: i64, cas: u32): bool;
}

/** Outcome of acquire(). */
export const enum Acquire {
  Ok = 0,
  /** The count is at its maximum: the caller must reject. */
  Full = 1,
  /** Retries ran out or the stored value is corrupt: the caller rejects (never over-admits). */
  Failed = 2,
}

/** CAS retries before giving up. With W workers a retry only loses to a write that succeeded,
 *  so contention converges; the bound only guards against a broken store. */
export const MAX_CAS_ATTEMPTS: i32 = 1024;

/** Last error text of acquire()/release(), for the filter's log line. */
export let lastCountError: string = "";

/** Adds one to key unless the count is already >= max (max <= 0: unlimited). `atLeast` is a
 *  lower bound of the count known from elsewhere (http.ts: the service's reserved gauge, which
 *  after a hot restart also carries the parent's reservations); the larger of the two is checked. */
export function acquire(store: CasStore, key: string, max: i64, atLeast: i64 = 0): Acquire {
  for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
    if (!store.load(key)) {
      lastCountError = "shared data " + key + ": value is not an 8-byte count";
      return Acquire.Failed;
    }
    if (store.cas == 0) {
      store.store(key, 0, 0);      // create at 0, then CAS from its real cas
      continue;
    }
    const current = store.value;
    if (max > 0 && (current > atLeast ? current : atLeast) >= max) return Acquire.Full;
    if (store.store(key, current + 1, store.cas)) return Acquire.Ok;
  }
  lastCountError = "shared data " + key + ": CAS retries exhausted";
  return Acquire.Failed;
}

/** Subtracts one from key, never below zero. Returns the new count, or -1 when the count was
 *  already 0 (a release without its acquire: a bug, logged by the caller) or the store failed. */
export function release(store: CasStore, key: string): i64 {
  for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
    if (!store.load(key)) {
      lastCountError = "shared data " + key + ": value is not an 8-byte count";
      return -1;
    }
    const current = store.value;
    if (current <= 0 || store.cas == 0) {
      lastCountError = "shared data " + key + ": release below zero refused";
      return -1;
    }
    if (store.store(key, current - 1, store.cas)) return current - 1;
  }
  lastCountError = "shared data " + key + ": CAS retries exhausted";
  return -1;
}

/** Creates key holding 0 when it is absent, so later changes are all by CAS. Called at
 *  configure time for the keys known then (services in the configuration, the listener), which
 *  leaves the creation race of counts.ts's header only to keys first seen under traffic.
 *  Returns false when the stored value is not an 8-byte count. */
export function ensure(store: CasStore, key: string): bool {
  if (!store.load(key)) {
    lastCountError = "shared data " + key + ": value is not an 8-byte count";
    return false;
  }
  if (store.cas == 0) store.store(key, 0, 0);
  return true;
}

/** Encodes a count as the 8 stored bytes (i64 little-endian, as Envoy encodes ints). */
export function encodeCount(value: i64): ArrayBuffer {
  const buf = new ArrayBuffer(8);
  store<i64>(changetype<usize>(buf), value);
  return buf;
}

/** Decodes 8 stored bytes at ptr. */
@inline
export function decodeCount(ptr: usize): i64 {
  return load<i64>(ptr);
}
