// Metrics: defined once (proxy_define_metric), the id cached in the object, so a hot path makes
// exactly one hostcall per update. Envoy names them "wasmcustom.<name>" and shares one stat
// between every VM defining the same name (context.cc defineMetric).
import { proxy_define_metric, proxy_get_metric, proxy_increment_metric, proxy_record_metric } from "./bindings";
import { MetricType, WasmResult } from "./enums";
import { RET, RET_U64 } from "./memory";
import { u32s } from "./fmt";
import { logError } from "./log";
import { setLastResult } from "./status";
import { utf8Encode } from "./utf8";

function defineMetric(type: MetricType, name: string): u32 {
  const n = utf8Encode(name);
  store<u32>(RET, 0);
  const r = proxy_define_metric(<u32>type, changetype<usize>(n), n.byteLength, RET);
  setLastResult(r);
  if (r != WasmResult.Ok) {
    logError("metric \"" + name + "\": proxy_define_metric failed with " + u32s(r));
    return u32.MAX_VALUE;
  }
  return load<u32>(RET);
}

function readMetric(id: u32): u64 {
  store<u64>(RET_U64, 0);
  setLastResult(proxy_get_metric(id, RET_U64));
  return load<u64>(RET_U64);
}

/** A counter. Construct in top-level code or onConfigure (never per request). */
@final
export class Counter {
  readonly id: u32;
  constructor(readonly name: string) { this.id = defineMetric(MetricType.Counter, name); }
  /** Adds delta. Valid in any callback. */
  increment(delta: i64 = 1): void { proxy_increment_metric(this.id, delta); }
  /** The current value (across all VMs). Valid in any callback. */
  get(): u64 { return readMetric(this.id); }
}

/** A gauge. Construct in top-level code or onConfigure (never per request). */
@final
export class Gauge {
  readonly id: u32;
  constructor(readonly name: string) { this.id = defineMetric(MetricType.Gauge, name); }
  /** Adds delta (negative subtracts: Envoy's incrementMetric on a gauge). Valid in any callback. */
  add(delta: i64): void { proxy_increment_metric(this.id, delta); }
  /** Sets the value. Valid in any callback. */
  set(value: i64): void { proxy_record_metric(this.id, <u64>value); }
  /** The current value. Valid in any callback. */
  get(): u64 { return readMetric(this.id); }
}

/** A histogram. Construct in top-level code or onConfigure (never per request). */
@final
export class Histogram {
  readonly id: u32;
  constructor(readonly name: string) { this.id = defineMetric(MetricType.Histogram, name); }
  /** Records one sample. Valid in any callback. */
  record(value: u64): void { proxy_record_metric(this.id, value); }
}
