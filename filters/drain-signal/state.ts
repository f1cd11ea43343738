// The drain table: which scopes (all services, or one) are draining, since when, with which
// window. It lives in Envoy shared data under STATE_KEY so every worker VM and every stream sees
// the same drain (shared data is process-wide per vm_id: proxy-wasm-cpp-host src/shared_data.cc),
// and is written only by compare-and-swap so concurrent triggers on different workers never lose
// an update.
//
// Text encoding, one line per scope after a version line ("drain-signal v1"):
//   <scope> <generation> <startedAtMs> <windowMs> <graceMs> <deadlineMs> <active|cancelled> <source>
// source: operator, envoy (health checks fail) or envoy-shutdown (listeners stopped or draining).
// scope is "*" (every service) or a service name; deadlineMs is relative to startedAtMs.
import { offsetForFraction, signalOffsetMs } from "./schedule";

export const STATE_KEY = "drain_signal.state";
export const ALL_SERVICES = "*";
const HEADER = "drain-signal v1";

export const SOURCE_OPERATOR = "operator";
export const SOURCE_ENVOY = "envoy";
/** Envoy stopped or removed listeners (the shutdown itself, not only failing health checks). */
export const SOURCE_ENVOY_SHUTDOWN = "envoy-shutdown";

/** Values of the wss.drain.state gauge. */
export const enum DrainPhase { None = 0, Window = 1, Grace = 2, Deadline = 3 }

@final
export class DrainEntry {
  scope: string = ALL_SERVICES;
  generation: u32 = 0;
  startedAtMs: u64 = 0;
  windowMs: u64 = 0;
  graceMs: u64 = 0;
  deadlineMs: u64 = 0;
  cancelled: bool = false;
  source: string = SOURCE_OPERATOR;

  @inline get active(): bool { return !this.cancelled; }
  signalAtMs(connectionId: u64): u64 { return this.startedAtMs + signalOffsetMs(connectionId, this.windowMs); }
  /** signalAtMs for a connection given by its fraction (schedule.ts signalFraction). */
  signalAtFraction(fraction: u32): u64 { return this.startedAtMs + offsetForFraction(fraction, this.windowMs); }
  @inline get deadlineAtMs(): u64 { return this.startedAtMs + this.deadlineMs; }

  phaseAt(nowMs: u64): DrainPhase {
    if (this.cancelled) return DrainPhase.None;
    if (nowMs >= this.deadlineAtMs) return DrainPhase.Deadline;
    if (nowMs >= this.startedAtMs + this.windowMs) return DrainPhase.Grace;
    return DrainPhase.Window;
  }

  encode(): string {
    return this.scope + " " + this.generation.toString() + " " + this.startedAtMs.toString() + " " +
      this.windowMs.toString() + " " + this.graceMs.toString() + " " + this.deadlineMs.toString() + " " +
      (this.cancelled ? "cancelled" : "active") + " " + this.source;
  }

  /** JSON object for control replies. */
  toJson(): string {
    return '{"scope":"' + (this.scope == ALL_SERVICES ? "all" : this.scope) + '","generation":' + this.generation.toString() +
      ',"started_at_ms":' + this.startedAtMs.toString() + ',"window_ms":' + this.windowMs.toString() +
      ',"grace_ms":' + this.graceMs.toString() + ',"deadline_ms":' + this.deadlineMs.toString() +
      ',"cancelled":' + (this.cancelled ? "true" : "false") + ',"source":"' + this.source + '"}';
  }
}

@final
export class DrainTable {
  entries: DrainEntry[] = [];
  /** Why the last decode failed (names the line and the field). */
  static lastError: string = "";

  find(scope: string): DrainEntry | null {
    for (let i = 0; i < this.entries.length; i++) if (this.entries[i].scope == scope) return this.entries[i];
    return null;
  }

  /** The active drain that applies to a service: its own or the all-services one, whichever
   *  started first (the earlier drain signals no later than the other would). */
  effectiveFor(service: string): DrainEntry | null {
    let best: DrainEntry | null = null;
    for (let i = 0; i < this.entries.length; i++) {
      const e = this.entries[i];
      if (e.cancelled || (e.scope != ALL_SERVICES && e.scope != service)) continue;
      if (best == null || e.startedAtMs < best.startedAtMs) best = e;
    }
    return best;
  }

  anyActive(): bool {
    for (let i = 0; i < this.entries.length; i++) if (!this.entries[i].cancelled) return true;
    return false;
  }

  /** The most advanced phase of any active drain, for the wss.drain.state gauge. */
  phaseAt(nowMs: u64): DrainPhase {
    let phase = DrainPhase.None;
    for (let i = 0; i < this.entries.length; i++) {
      const p = this.entries[i].phaseAt(nowMs);
      if (p > phase) phase = p;
    }
    return phase;
  }

  nextGeneration(): u32 {
    let g: u32 = 0;
    for (let i = 0; i < this.entries.length; i++) if (this.entries[i].generation > g) g = this.entries[i].generation;
    return g + 1;
  }

  /** Adds or replaces the entry of e.scope. */
  put(e: DrainEntry): void {
    for (let i = 0; i < this.entries.length; i++) {
      if (this.entries[i].scope == e.scope) { this.entries[i] = e; return; }
    }
    this.entries.push(e);
  }

  encode(): string {
    let s = HEADER;
    for (let i = 0; i < this.entries.length; i++) s += "\n" + this.entries[i].encode();
    return s;
  }

  /** Strict decode; null with DrainTable.lastError set when the text is not a v1 table. */
  static decode(text: string): DrainTable | null {
    const lines = text.split("\n");
    if (lines.length == 0 || lines[0] != HEADER) {
      DrainTable.lastError = STATE_KEY + ": first line is not \"" + HEADER + "\"";
      return null;
    }
    const t = new DrainTable();
    for (let i = 1; i < lines.length; i++) {
      const f = lines[i].split(" ");
      const where = STATE_KEY + " line " + (i + 1).toString();
      if (f.length != 8) { DrainTable.lastError = where + ": expected 8 fields, got " + f.length.toString(); return null; }
      const e = new DrainEntry();
      e.scope = f[0];
      if (!isScope(e.scope)) { DrainTable.lastError = where + ": bad scope \"" + e.scope + "\""; return null; }
      const nums = new StaticArray<u64>(5);
      for (let k = 0; k < 5; k++) {
        const v = parseDecimal(f[1 + k]);
        if (v < 0) { DrainTable.lastError = where + ": field " + (k + 2).toString() + " is not a decimal number"; return null; }
        nums[k] = <u64>v;
      }
      e.generation = <u32>nums[0]; e.startedAtMs = nums[1]; e.windowMs = nums[2]; e.graceMs = nums[3]; e.deadlineMs = nums[4];
      if (f[6] == "cancelled") e.cancelled = true;
      else if (f[6] != "active") { DrainTable.lastError = where + ": field 7 must be active or cancelled"; return null; }
      if (f[7] != SOURCE_OPERATOR && f[7] != SOURCE_ENVOY && f[7] != SOURCE_ENVOY_SHUTDOWN) { DrainTable.lastError = where + ": unknown source \"" + f[7] + "\""; return null; }
      e.source = f[7];
      t.entries.push(e);
    }
    return t;
  }
}

/** "*" or a service name: 1-64 chars of [A-Za-z0-9._-] (the names ws-router puts in
 *  x-wss-service and that stats names are built from). */
export function isScope(s: string): bool {
  if (s == ALL_SERVICES) return true;
  return isServiceName(s);
}

export function isServiceName(s: string): bool {
  const n = s.length;
  if (n == 0 || n > 64) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) ||
      c == 0x2e || c == 0x5f || c == 0x2d;
    if (!ok) return false;
  }
  return true;
}

/** Non-negative decimal up to 2^63-1, or -1 (empty, non-digit, or overflow). */
export function parseDecimal(s: string): i64 {
  const n = s.length;
  if (n == 0 || n > 18) return -1;
  let v: i64 = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i) - 0x30;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}
