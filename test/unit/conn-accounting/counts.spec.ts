import { CasStore, acquire, release, ensure, Acquire, encodeCount, decodeCount, lastCountError } from "../../../filters/conn-accounting/counts";

// An in-memory CasStore with proxy-wasm-cpp-host's SharedData::set rules: every write takes a
// fresh non-zero cas, a stale cas is refused, cas 0 writes unconditionally. `contend`
// simulates another worker VM writing between our load and our store.
class FakeStore extends CasStore {
  values: Map<string, i64> = new Map();
  cases: Map<string, u32> = new Map();
  corrupt: Set<string> = new Set();
  contend: i32 = 0;            // writes by "another worker" still to inject
  contendDelta: i64 = 1;
  mismatches: i32 = 0;
  unconditional: Array<i64> = [];   // values written with cas 0
  nextCas: u32 = 1;

  load(key: string): bool {
    if (this.corrupt.has(key)) return false;
    this.value = this.values.has(key) ? this.values.get(key) : 0;
    this.cas = this.cases.has(key) ? this.cases.get(key) : 0;
    return true;
  }
  store(key: string, value: i64, cas: u32): bool {
    if (this.contend > 0) {
      this.contend--;
      const other = (this.values.has(key) ? this.values.get(key) : 0) + this.contendDelta;
      this.put(key, other);
    }
    const current: u32 = this.cases.has(key) ? this.cases.get(key) : 0;
    if (cas == 0) this.unconditional.push(value);
    else if (cas != current) { this.mismatches++; return false; }
    this.put(key, value);
    return true;
  }
  put(key: string, value: i64): void {
    this.values.set(key, value);
    this.cases.set(key, this.nextCas++);
  }
  get(key: string): i64 { return this.values.has(key) ? this.values.get(key) : 0; }
}

describe("acquire", () => {
  it("creates an absent count at 1", () => {
    const s = new FakeStore();
    expect(acquire(s, "wss.cx.messages", 0)).toBe(Acquire.Ok);
    expect(s.get("wss.cx.messages")).toBe(1);
  });

  it("creates an absent key holding 0 and writes the count itself only by CAS", () => {
    const s = new FakeStore();
    acquire(s, "k", 0);
    acquire(s, "k", 0);
    expect(s.unconditional.length).toBe(1);
    expect(s.unconditional[0]).toBe(0);
    expect(s.get("k")).toBe(2);
  });

  it("admits up to max and refuses the next one without writing", () => {
    const s = new FakeStore();
    for (let i = 0; i < 3; i++) expect(acquire(s, "k", 3)).toBe(Acquire.Ok);
    expect(acquire(s, "k", 3)).toBe(Acquire.Full);
    expect(s.get("k")).toBe(3);
  });

  it("treats max 0 as unlimited", () => {
    const s = new FakeStore();
    for (let i = 0; i < 1000; i++) acquire(s, "k", 0);
    expect(s.get("k")).toBe(1000);
  });

  it("retries on CAS mismatch and counts the other worker's write too", () => {
    const s = new FakeStore();
    acquire(s, "k", 0);
    s.contend = 5;
    expect(acquire(s, "k", 0)).toBe(Acquire.Ok);
    expect(s.mismatches).toBe(5);
    expect(s.get("k")).toBe(7);
  });

  it("refuses when another worker takes the last slot between load and store", () => {
    const s = new FakeStore();
    for (let i = 0; i < 9; i++) acquire(s, "k", 10);
    s.contend = 1;             // the other worker takes slot 10 first
    expect(acquire(s, "k", 10)).toBe(Acquire.Full);
    expect(s.get("k")).toBe(10);
  });

  it("fails closed on a value that is not an 8-byte count and names the key", () => {
    const s = new FakeStore();
    s.corrupt.add("wss.cx.apps");
    expect(acquire(s, "wss.cx.apps", 5)).toBe(Acquire.Failed);
    expect(lastCountError).toBe("shared data wss.cx.apps: value is not an 8-byte count");
  });

  it("fails closed when CAS retries run out", () => {
    const s = new FakeStore();
    s.contend = 1 << 20;
    expect(acquire(s, "k", 0)).toBe(Acquire.Failed);
    expect(lastCountError).toBe("shared data k: CAS retries exhausted");
  });
});

describe("release", () => {
  it("subtracts one and returns the new count", () => {
    const s = new FakeStore();
    acquire(s, "k", 0); acquire(s, "k", 0);
    expect(release(s, "k")).toBe(1);
    expect(release(s, "k")).toBe(0);
  });

  it("never goes below zero", () => {
    const s = new FakeStore();
    acquire(s, "k", 0);
    expect(release(s, "k")).toBe(0);
    expect(release(s, "k")).toBe(-1);
    expect(lastCountError).toBe("shared data k: release below zero refused");
    expect(s.get("k")).toBe(0);
  });

  it("does not create an absent key", () => {
    const s = new FakeStore();
    expect(release(s, "k")).toBe(-1);
    expect(s.values.has("k")).toBe(false);
  });

  it("retries on CAS mismatch when another worker releases at the same time", () => {
    const s = new FakeStore();
    for (let i = 0; i < 5; i++) acquire(s, "k", 0);
    s.contend = 2; s.contendDelta = -1;
    expect(release(s, "k")).toBe(2);
    expect(s.get("k")).toBe(2);
  });
});

describe("ensure", () => {
  it("creates an absent key at 0", () => {
    const s = new FakeStore();
    expect(ensure(s, "k")).toBe(true);
    expect(s.values.has("k")).toBe(true);
    expect(s.get("k")).toBe(0);
  });
  it("leaves an existing count alone (another worker may already hold slots)", () => {
    const s = new FakeStore();
    acquire(s, "k", 0); acquire(s, "k", 0);
    const writes = s.unconditional.length;
    expect(ensure(s, "k")).toBe(true);
    expect(s.get("k")).toBe(2);
    expect(s.unconditional.length).toBe(writes);
  });
  it("reports a corrupt value", () => {
    const s = new FakeStore();
    s.corrupt.add("k");
    expect(ensure(s, "k")).toBe(false);
  });
});

describe("count encoding", () => {
  it("stores an i64 little-endian in 8 bytes", () => {
    const b = encodeCount(0x0102030405060708);
    expect(b.byteLength).toBe(8);
    expect(load<u8>(changetype<usize>(b))).toBe(0x08);
    expect(load<u8>(changetype<usize>(b) + 7)).toBe(0x01);
    expect(decodeCount(changetype<usize>(b))).toBe(0x0102030405060708);
  });
});
