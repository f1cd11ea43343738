// The host driver API (docs/host-api.md): a proxy-wasm host that behaves like Envoy.
export { Host } from "./host.ts";
export type { HostOptions } from "./host.ts";
export { Plugin, PluginOnWorker, PluginLoadError } from "./plugin.ts";
/** Former name of PluginOnWorker (kept for existing callers). */
export { PluginOnWorker as WorkerVm } from "./plugin.ts";
export { PluginTrapError } from "./backtrace.ts";
export { HttpStream } from "./http-stream.ts";
export { TcpConnection } from "./tcp-connection.ts";
export type { StreamMode } from "./stream-context.ts";
export { Callout } from "./callouts.ts";
/** Former name of Callout (kept for existing callers). */
export type { Callout as PendingCallout } from "./callouts.ts";
export type { CalloutReply } from "./callouts.ts";
export { SharedQueues } from "./queues.ts";
export { encodePairs, decodePairs } from "./codec.ts";
export { encodeProperty } from "./properties.ts";
export { ManualClock, RealClock } from "./clock.ts";
export type { Clock, TimerHandle } from "./clock.ts";
export { Stats, Counter, Gauge, Histogram } from "./stats.ts";
export type { StatType } from "./stats.ts";
export { checkModule, parseModule } from "./module-check.ts";
export type { ModuleInfo, ModuleCheck } from "./module-check.ts";
export * from "./types.ts";
export type { ForeignFunction, ForeignCallContext } from "./foreign.ts";
export {
  WasmResult, LogLevel, BufferType, MapType, StreamType, PeerType, MetricType, FilterHeadersStatus,
  FilterDataStatus, FilterTrailersStatus, FilterStatus,
} from "./abi.ts";
