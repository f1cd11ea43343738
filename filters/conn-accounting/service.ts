// Per-service limits and stats, built once at configure time (services named in the
// configuration and the fallback) or on first sight of a new x-wss-service value, up to
// max_services; beyond that a new name is counted under the fallback so a stream of distinct
// names cannot grow the stat table without bound.
//
// Body-byte and frame totals are accumulated here, in this VM's memory, and flushed to the
// counters on each root tick (1 s) and whenever a stream ends: the per-chunk path then makes
// no hostcall for stats. Envoy counters are process-wide and shared by every worker VM
// (source/extensions/common/wasm/context.cc, Context::defineMetric: scope_->counterFromStatName).
import { Counter, Gauge } from "../../sdk";
import { ServiceLimits } from "./config";
import { serviceCountKey, keyCountKey } from "./names";

@final
export class Service {
  readonly countKey: string;
  readonly cxActive: Gauge;
  readonly cxReserved: Gauge;
  readonly cxTotal: Counter;
  readonly cxRejected: Counter;
  readonly rxFrames: Counter;
  readonly txFrames: Counter;
  readonly rxBytes: Counter;
  readonly txBytes: Counter;
  pendingRxFrames: u64 = 0;
  pendingTxFrames: u64 = 0;
  pendingRxBytes: u64 = 0;
  pendingTxBytes: u64 = 0;

  constructor(readonly name: string, readonly maxActive: i64, readonly maxActivePerKey: i64) {
    this.countKey = serviceCountKey(name);
    const p = "wss." + name + ".";
    this.cxActive = new Gauge(p + "cx_active");
    this.cxReserved = new Gauge(p + "cx_reserved");
    this.cxTotal = new Counter(p + "cx_total");
    this.cxRejected = new Counter(p + "cx_rejected");
    this.rxFrames = new Counter(p + "rx_frames");
    this.txFrames = new Counter(p + "tx_frames");
    this.rxBytes = new Counter(p + "rx_bytes");
    this.txBytes = new Counter(p + "tx_bytes");
  }

  /** The shared-data key that holds the count of one limit key (by its hash). */
  keySlot(keyHash: u64): string {
    return keyCountKey(this.name, keyHash);
  }

  flush(): void {
    if (this.pendingRxFrames > 0) { this.rxFrames.increment(<i64>this.pendingRxFrames); this.pendingRxFrames = 0; }
    if (this.pendingTxFrames > 0) { this.txFrames.increment(<i64>this.pendingTxFrames); this.pendingTxFrames = 0; }
    if (this.pendingRxBytes > 0) { this.rxBytes.increment(<i64>this.pendingRxBytes); this.pendingRxBytes = 0; }
    if (this.pendingTxBytes > 0) { this.txBytes.increment(<i64>this.pendingTxBytes); this.pendingTxBytes = 0; }
  }
}

@final
export class ServiceTable {
  private byName: Map<string, Service> = new Map();
  private list: Service[] = [];
  readonly fallback: Service;

  constructor(fallbackName: string, private defaultMax: i64, private defaultPerKey: i64,
              configured: ServiceLimits[], private maxServices: i32) {
    const made = new Array<Service>();
    let fallback: Service | null = null;
    for (let i = 0; i < configured.length; i++) {
      const c = configured[i];
      const s = new Service(c.name, c.maxActive, c.maxActivePerKey);
      made.push(s);
      if (c.name == fallbackName) fallback = s;
    }
    if (fallback == null) {
      fallback = new Service(fallbackName, defaultMax, defaultPerKey);
      made.push(fallback);
    }
    this.fallback = fallback;
    for (let i = 0; i < made.length; i++) this.add(made[i]);
  }

  private add(s: Service): Service {
    this.byName.set(s.name, s);
    this.list.push(s);
    return s;
  }

  /** The service for a stat-safe name ("" or over max_services: the fallback). */
  lookup(name: string): Service {
    if (name.length == 0) return this.fallback;
    if (this.byName.has(name)) return this.byName.get(name);
    if (this.list.length >= this.maxServices) return this.fallback;
    return this.add(new Service(name, this.defaultMax, this.defaultPerKey));
  }

  get size(): i32 { return this.list.length; }
  at(i: i32): Service { return this.list[i]; }

  flushAll(): void {
    for (let i = 0, n = this.list.length; i < n; i++) this.list[i].flush();
  }
}
