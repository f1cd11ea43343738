// A VM's metrics as Envoy keeps them (source/extensions/common/wasm/context.cc defineMetric,
// incrementMetric, recordMetric, getMetric; wasm.h kMetricTypeMask, kMetricIdIncrement): ids carry
// the type in their low 2 bits and step by 4; each id points at the process-wide stat
// `wasmcustom.<name>`, shared by every VM that defines the name.
import { MetricType, WasmResult as R } from "./abi.ts";
import type { Counter, Gauge, Histogram, Stats } from "./stats.ts";

export class VmMetrics {
  private readonly next = [0, 1, 2];
  private readonly counters = new Map<number, Counter>();
  private readonly gauges = new Map<number, Gauge>();
  private readonly histograms = new Map<number, Histogram>();

  constructor(private readonly stats: Stats) {}

  /** The new id, or BadArgument for an unknown type. */
  define(type: number, name: string): { result: R; id: number } {
    if (type >>> 0 > MetricType.Histogram) return { result: R.BadArgument, id: 0 };
    const full = `wasmcustom.${name}`;
    const id = (this.next[type] += 4);
    if (type === MetricType.Counter) this.counters.set(id, this.stats.counter(full));
    else if (type === MetricType.Gauge) this.gauges.set(id, this.stats.gauge(full));
    else this.histograms.set(id, this.stats.histogram(full));
    return { result: R.Ok, id };
  }

  /** Counters need offset > 0; gauges add or subtract; histograms: BadArgument. */
  increment(id: number, offset: bigint): R {
    const type = id & 3;
    if (type === MetricType.Counter) {
      const c = this.counters.get(id);
      if (!c) return R.NotFound;
      if (offset <= 0n) return R.BadArgument;
      c.inc(Number(offset));
      return R.Ok;
    }
    if (type === MetricType.Gauge) {
      const g = this.gauges.get(id);
      if (!g) return R.NotFound;
      g.add(Number(offset));
      return R.Ok;
    }
    return R.BadArgument;
  }

  /** Counters add, gauges set, histograms record (the value as u64). */
  record(id: number, value: bigint): R {
    const v = Number(BigInt.asUintN(64, value));
    const type = id & 3;
    if (type === MetricType.Counter) { const c = this.counters.get(id); if (c) { c.inc(v); return R.Ok; } }
    else if (type === MetricType.Gauge) { const g = this.gauges.get(id); if (g) { g.set(v); return R.Ok; } }
    else if (type === MetricType.Histogram) { const h = this.histograms.get(id); if (h) { h.record(v); return R.Ok; } }
    return R.NotFound;
  }

  /** The value of a counter or gauge; a histogram is BadArgument. */
  get(id: number): { result: R; value: bigint } {
    const type = id & 3;
    const m = type === MetricType.Counter ? this.counters.get(id) : type === MetricType.Gauge ? this.gauges.get(id) : null;
    if (m === null) return { result: R.BadArgument, value: 0n };
    if (!m) return { result: R.NotFound, value: 0n };
    return { result: R.Ok, value: BigInt(Math.trunc(m.value)) };
  }
}
