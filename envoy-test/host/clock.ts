// Time sources for the host: ManualClock for tests (time moves only when told), RealClock for the
// gateway (Node timers). Envoy drives tick timers and callout timeouts from each worker's
// dispatcher; here one clock serves every worker.

export interface TimerHandle { readonly id: number }

export interface Clock {
  /** monotonic milliseconds */
  now(): number;
  /** wall-clock nanoseconds since the epoch (proxy_get_current_time_nanoseconds) */
  realtimeNs(): bigint;
  /** monotonic nanoseconds (WASI clock_time_get, clock id 1) */
  monotonicNs(): bigint;
  schedule(delayMs: number, fn: () => void): TimerHandle;
  cancel(handle: TimerHandle): void;
}

interface ManualTimer { id: number; at: number; seq: number; fn: () => void }

export class ManualClock implements Clock {
  private time: number;
  private readonly epochMs: number;
  private timers: ManualTimer[] = [];
  private nextId = 1;
  private seq = 0;

  /** @param startMs monotonic start; @param epochMs wall-clock time at start (fixed, so tests are exact) */
  constructor(startMs = 0, epochMs = Date.UTC(2026, 0, 1)) {
    this.time = startMs;
    this.epochMs = epochMs;
  }
  now(): number { return this.time; }
  realtimeNs(): bigint { return BigInt(Math.round((this.epochMs + this.time) * 1000)) * 1000n; }
  monotonicNs(): bigint { return BigInt(Math.round(this.time * 1000)) * 1000n; }
  schedule(delayMs: number, fn: () => void): TimerHandle {
    const t = { id: this.nextId++, at: this.time + Math.max(0, delayMs), seq: this.seq++, fn };
    this.timers.push(t);
    return { id: t.id };
  }
  cancel(handle: TimerHandle): void {
    const i = this.timers.findIndex((t) => t.id === handle.id);
    if (i >= 0) this.timers.splice(i, 1);
  }
  /** Moves time forward by ms, firing every due timer in time order (timers scheduled while firing included). */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new Error(`ManualClock.advance: ms must be a number >= 0, got ${ms}`);
    const end = this.time + ms;
    for (;;) {
      let next: ManualTimer | undefined;
      for (const t of this.timers) if (t.at <= end && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
      if (!next) break;
      this.timers.splice(this.timers.indexOf(next), 1);
      this.time = Math.max(this.time, next.at);
      next.fn();
    }
    this.time = end;
  }
  /** Number of timers waiting (ticks and callout timeouts). */
  get pendingTimers(): number { return this.timers.length; }
}

export class RealClock implements Clock {
  private readonly handles = new Map<number, NodeJS.Timeout>();
  private nextId = 1;
  now(): number { return performance.now(); }
  realtimeNs(): bigint { return BigInt(Date.now()) * 1_000_000n; }
  monotonicNs(): bigint { return process.hrtime.bigint(); }
  schedule(delayMs: number, fn: () => void): TimerHandle {
    const id = this.nextId++;
    const h = setTimeout(() => { this.handles.delete(id); fn(); }, Math.max(0, delayMs));
    h.unref?.();
    this.handles.set(id, h);
    return { id };
  }
  cancel(handle: TimerHandle): void {
    const h = this.handles.get(handle.id);
    if (h) { clearTimeout(h); this.handles.delete(handle.id); }
  }
}
