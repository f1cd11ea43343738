// @solo-io/proxy-runtime 0.1.8's public names over this SDK, so code written for it moves here by
// changing import paths only:
//   export * from "<repo>/sdk/exports";                     // was "@solo-io/proxy-runtime/proxy"
//   import { RootContext, Context, ... } from "<repo>/sdk/compat/proxy-runtime";
// Behaviour follows this SDK (and Envoy), not proxy-runtime's bugs. Differences, on purpose:
// - shared data: get_shared_data(key) returns the value (null when absent) and
//   set_shared_data(key, value, cas = 0) takes the value; 0.1.8's versions could not work.
// - register_shared_queue/resolve_shared_queue return the token (0 on failure) instead of
//   taking an out-parameter they never wrote.
// - Gauge.record(metric_id, value) ignores metric_id (the gauge knows its own id).
// - get_property returns an empty buffer for a missing property instead of trapping.
// - a root id with no registered factory fails onConfigure with an error log, not a trap.
import { bufferOf, BufferStatus, pluginConfiguration } from "../buffers";
import { BaseContext as SdkBaseContext, HttpContext, RootContext as SdkRootContext, TcpContext } from "../context";
import { registerRootContext as sdkRegisterRootContext } from "../dispatcher";
import { BufferType, MapType, MetricType, PeerType, StreamType, WasmResult } from "../enums";
import { HeaderMap, headerMapOf, HeaderPair as SdkHeaderPair } from "../headers";
import { HttpCallHandler } from "../http-call";
import { log as sdkLog } from "../log";
import { Counter as SdkCounter, Gauge as SdkGauge, Histogram as SdkHistogram } from "../metrics";
import { getProperty, setProperty } from "../properties";
import { getSharedData, setSharedData } from "../shared-data";
import { dequeueSharedQueue, enqueueSharedQueue, registerSharedQueue, resolveSharedQueue } from "../shared-queue";
import { continueStream, done as sdkDone, sendLocalResponse, setEffectiveContext } from "../stream";
import { currentTimeNanos, setTickPeriod } from "../timers";
import { proxy_get_status, proxy_set_effective_context as rawSetEffectiveContext } from "../bindings";
import { RET, RET_PTR, RET_SIZE, takeReturnedBytes } from "../memory";

// Enums under proxy-runtime's names (values are the ABI's, as there).
export enum LogLevelValues { trace, debug, info, warn, error, critical }
export enum FilterStatusValues { Continue = 0, StopIteration = 1 }
export enum FilterHeadersStatusValues {
  Continue = 0, StopIteration = 1, ContinueAndEndStream = 2, StopAllIterationAndBuffer = 3,
  StopAllIterationAndWatermark = 4,
}
export enum FilterMetadataStatusValues { Continue = 0 }
export enum FilterTrailersStatusValues { Continue = 0, StopIteration = 1 }
export enum FilterDataStatusValues {
  Continue = 0, StopIterationAndBuffer = 1, StopIterationAndWatermark = 2, StopIterationNoBuffer = 3,
}
export enum GrpcStatusValues {
  Ok = 0, Canceled = 1, Unknown = 2, InvalidArgument = 3, DeadlineExceeded = 4, NotFound = 5,
  AlreadyExists = 6, PermissionDenied = 7, ResourceExhausted = 8, FailedPrecondition = 9, Aborted = 10,
  OutOfRange = 11, Unimplemented = 12, Internal = 13, Unavailable = 14, DataLoss = 15, Unauthenticated = 16,
  MaximumValid = 16, InvalidCode = -1,
}
export enum MetricTypeValues { Counter = 0, Gauge = 1, Histogram = 2 }
export enum PeerTypeValues { Unknown = 0, Local = 1, Remote = 2 }
export enum WasmResultValues {
  Ok = 0, NotFound = 1, BadArgument = 2, SerializationFailure = 3, ParseFailure = 4, BadExpression = 5,
  InvalidMemoryAccess = 6, Empty = 7, CasMismatch = 8, ResultMismatch = 9, InternalFailure = 10,
  BrokenConnection = 11, Unimplemented = 12,
}
export enum HeaderMapTypeValues {
  RequestHeaders = 0, RequestTrailers = 1, ResponseHeaders = 2, ResponseTrailers = 3,
  GrpcReceiveInitialMetadata = 4, GrpcReceiveTrailingMetadata = 5, HttpCallResponseHeaders = 6,
  HttpCallResponseTrailers = 7, MAX = 7,
}
export enum BufferTypeValues {
  HttpRequestBody = 0, HttpResponseBody = 1, NetworkDownstreamData = 2, NetworkUpstreamData = 3,
  HttpCallResponseBody = 4, GrpcReceiveBuffer = 5, VmConfiguration = 6, PluginConfiguration = 7, CallData = 8,
  MAX = 8,
}
export enum BufferFlagsValues { EndOfStream = 1 }
export enum StreamTypeValues { Request = 0, Response = 1, Downstream = 2, Upstream = 3, MAX = 3 }

/** proxy-runtime's header pair: raw UTF-8 bytes. */
export class HeaderPair {
  key: ArrayBuffer;
  value: ArrayBuffer;
  constructor(header_key_data: ArrayBuffer, header_value_data: ArrayBuffer) {
    this.key = header_key_data;
    this.value = header_value_data;
  }
  toString(): string {
    return String.UTF8.decode(this.key) + ":" + String.UTF8.decode(this.value);
  }
}
export type Headers = Array<HeaderPair>;

function toSdkPairs(h: Headers): SdkHeaderPair[] {
  const out = new Array<SdkHeaderPair>(h.length);
  for (let i = 0; i < h.length; i++) {
    out[i] = new SdkHeaderPair(String.UTF8.decode(h[i].key), String.UTF8.decode(h[i].value));
  }
  return out;
}

function fromSdkPairs(p: SdkHeaderPair[]): Headers {
  const out = new Array<HeaderPair>(p.length);
  for (let i = 0; i < p.length; i++) out[i] = new HeaderPair(String.UTF8.encode(p[i].key), String.UTF8.encode(p[i].value));
  return out;
}

/** Logs through the SDK (level cached: a disabled level makes no hostcall). */
export function log(level: LogLevelValues, logMessage: string): void {
  sdkLog(<i32>level, logMessage);
}

// Stream control and local replies

export function continue_request(): WasmResultValues { return continueStream(StreamType.HttpRequest); }
export function continue_response(): WasmResultValues { return continueStream(StreamType.HttpResponse); }
export function send_local_response(response_code: u32, response_code_details: string, body: ArrayBuffer,
                                    additional_headers: Headers, grpc_status: GrpcStatusValues): WasmResultValues {
  return sendLocalResponse(response_code, response_code_details, body, toSdkPairs(additional_headers), grpc_status);
}
export function proxy_set_effective_context(context_id: u32): WasmResultValues {
  return rawSetEffectiveContext(context_id);
}
export function done(): WasmResultValues { return sdkDone(); }

// Time, status, properties

export function set_tick_period_milliseconds(millisecond: u32): void { setTickPeriod(millisecond); }
export function get_current_time_nanoseconds(): u64 { return currentTimeNanos(); }

export class StatusWithData {
  constructor(public status: u32, public data: ArrayBuffer) {}
}
/** The status of the last gRPC call (code and message), as proxy_get_status reports it. */
export function get_status(): StatusWithData {
  store<u32>(RET + 8, 0);
  store<u64>(RET, 0);
  proxy_get_status(RET + 8, RET_PTR, RET_SIZE);
  const code = load<u32>(RET + 8);
  return new StatusWithData(code, takeReturnedBytes());
}

/** A property by its NUL-separated path (e.g. "request\0path"); empty when missing. */
export function get_property(path: string): ArrayBuffer {
  const v = getProperty(path.split("\0"));
  return v === null ? new ArrayBuffer(0) : v;
}
export function set_property(path: string, data: ArrayBuffer): WasmResultValues {
  return setProperty(path.split("\0"), data);
}

// Shared data and queues (see the header comment for the signature changes)

export function get_shared_data(key: string): ArrayBuffer | null { return getSharedData(key).value; }
export function set_shared_data(key: string, value: ArrayBuffer, cas: u32 = 0): WasmResultValues {
  return setSharedData(key, value, cas);
}
export function register_shared_queue(queue_name: string): u32 { return registerSharedQueue(queue_name); }
export function resolve_shared_queue(vm_id: string, queue_name: string): u32 { return resolveSharedQueue(vm_id, queue_name); }
export class DequeueSharedQueueResult {
  constructor(public result: WasmResultValues, public data: ArrayBuffer | null) {}
}
export function dequeue_shared_queue(token: u32): DequeueSharedQueueResult {
  const data = dequeueSharedQueue(token);
  return new DequeueSharedQueueResult(data === null ? WasmResultValues.Empty : WasmResultValues.Ok, data);
}
export function enqueue_shared_queue(token: u32, data: ArrayBuffer): WasmResultValues { return enqueueSharedQueue(token, data); }

// Buffers

export function get_buffer_bytes(typ: BufferTypeValues, start: u32, length: u32): ArrayBuffer {
  const b = bufferOf(<BufferType>typ).get(start, length);
  return b === null ? new ArrayBuffer(0) : b;
}
export function get_buffer_status(typ: BufferTypeValues): BufferStatus | null {
  return bufferOf(<BufferType>typ).status();
}
export function set_buffer_bytes(typ: BufferTypeValues, start: u32, length: u32, data: ArrayBuffer): WasmResultValues {
  return bufferOf(<BufferType>typ).set(start, length, data);
}

// Header maps: stream_context.headers.request.add(...), as in proxy-runtime

export class HeaderStreamManipulator {
  private map: HeaderMap;
  constructor(typ: HeaderMapTypeValues) { this.map = headerMapOf(<MapType>typ); }
  add(key: string, value: string): void { this.map.add(key, value); }
  replace(key: string, value: string): void { this.map.replace(key, value); }
  /** The value, or "" when absent (proxy-runtime's convention). */
  get(key: string): string { const v = this.map.get(key); return v === null ? "" : v; }
  remove(key: string): void { this.map.remove(key); }
  get_headers(): Headers { return fromSdkPairs(this.map.all()); }
  set_headers(headers: Headers): void { this.map.setAll(toSdkPairs(headers)); }
}

export class HeaderMapManipulator {
  constructor(public request: HeaderStreamManipulator, public response: HeaderStreamManipulator,
              public http_callback: HeaderStreamManipulator) {}
}

export class StreamContext {
  constructor(public headers: HeaderMapManipulator, public trailers: HeaderMapManipulator) {}
}

export const stream_context = new StreamContext(
  new HeaderMapManipulator(
    new HeaderStreamManipulator(HeaderMapTypeValues.RequestHeaders),
    new HeaderStreamManipulator(HeaderMapTypeValues.ResponseHeaders),
    new HeaderStreamManipulator(HeaderMapTypeValues.HttpCallResponseHeaders)),
  new HeaderMapManipulator(
    new HeaderStreamManipulator(HeaderMapTypeValues.RequestTrailers),
    new HeaderStreamManipulator(HeaderMapTypeValues.ResponseTrailers),
    new HeaderStreamManipulator(HeaderMapTypeValues.HttpCallResponseTrailers)));

// Metrics

export class Counter {
  private c: SdkCounter;
  constructor(name: string) { this.c = new SdkCounter(name); }
  get metric_id(): u32 { return this.c.id; }
  increment(offset: u32): WasmResultValues { this.c.increment(offset); return WasmResultValues.Ok; }
  get(): u64 { return this.c.get(); }
}
export class Gauge {
  private g: SdkGauge;
  constructor(name: string) { this.g = new SdkGauge(name); }
  get metric_id(): u32 { return this.g.id; }
  increment(offset: i64): WasmResultValues { this.g.add(offset); return WasmResultValues.Ok; }
  record(metric_id: u32, value: u64): WasmResultValues { this.g.set(<i64>value); return WasmResultValues.Ok; }
  get(): u64 { return this.g.get(); }
}
export class Histogram {
  private h: SdkHistogram;
  constructor(name: string) { this.h = new SdkHistogram(name); }
  get metric_id(): u32 { return this.h.id; }
  record(metric_id: u32, value: u64): WasmResultValues { this.h.record(value); return WasmResultValues.Ok; }
}

// Contexts

/** proxy-runtime's callback pair for an HTTP callout. */
export class HttpCallback {
  constructor(public origin_context: BaseContext,
              public cb: (origin_context: BaseContext, headers: u32, body_size: usize, trailers: u32) => void) {}
}

/** Answers a callout to proxy-runtime's callback, with the origin context made effective first
 *  (as proxy-runtime did), after the SDK routed it by token. */
class CallbackHandler extends HttpCallHandler {
  constructor(public origin: BaseContext, public cb: (origin_context: Context, headers: u32, body_size: usize, trailers: u32) => void) { super(); }
  onResponse(ctx: SdkBaseContext, token: u32, numHeaders: u32, bodySize: usize, numTrailers: u32): void {
    setEffectiveContext(this.origin.contextId);
    this.cb(changetype<Context>(this.origin), numHeaders, bodySize, numTrailers);
  }
}

/** proxy-runtime's BaseContext is the SDK's (context_id is an alias of contextId). */
export type BaseContext = SdkBaseContext;

export class RootContext extends SdkRootContext {
  private configuration_: string = "";

  constructor(context_id: u32) { super(context_id); }

  get context_id(): u32 { return this.contextId; }

  /** The plugin configuration read by onConfigure. */
  getConfiguration(): string { return this.configuration_; }

  /** Override: the per-stream (or per-connection) context. */
  createContext(context_id: u32): Context {
    sdkLog(4, "proxy-runtime compat: " + this.rootId + " does not override createContext");
    return new Context(context_id, this);
  }

  /** Reads the configuration; overrides call super.onConfigure(size) first, as in proxy-runtime. */
  onConfigure(configuration_size: usize): bool {
    this.configuration_ = pluginConfiguration.getText();
    return true;
  }
  onStart(vm_configuration_size: usize): bool { return true; }
  validateConfiguration(configuration_size: usize): bool { return true; }

  onVmStart(size: usize): bool { return this.onStart(size); }
  onValidateConfiguration(size: usize): bool { return this.validateConfiguration(size); }
  newHttpContext(id: u32): HttpContext | null { return this.createContext(id); }

  /** Sends an HTTP call; cb runs with origin_context effective when the answer arrives. */
  httpCall(cluster: string, headers: Headers, body: ArrayBuffer, trailers: Headers, timeout_milliseconds: u32,
           origin_context: BaseContext, cb: (origin_context: Context, headers: u32, body_size: usize, trailers: u32) => void): WasmResultValues {
    const token = origin_context.httpCall(cluster, toSdkPairs(headers), body, toSdkPairs(trailers), timeout_milliseconds,
      new CallbackHandler(origin_context, cb));
    return token == 0 ? WasmResultValues.InternalFailure : WasmResultValues.Ok;
  }

  /** Tells the host a root context that returned false from onDone has finished. */
  done(): void { sdkDone(); }
}

/** Forwards TCP callbacks to a compat Context (proxy-runtime's Context serves both kinds). */
class TcpBridge extends TcpContext {
  constructor(readonly target: Context) { super(target.contextId, target.root); }
  onNewConnection(): FilterStatusValues { return this.target.onNewConnection(); }
  onDownstreamData(size: usize, end: bool): FilterStatusValues { return this.target.onDownstreamData(size, end); }
  onUpstreamData(size: usize, end: bool): FilterStatusValues { return this.target.onUpstreamData(size, end); }
  onDownstreamConnectionClose(t: PeerType): void { this.target.onDownstreamConnectionClose(t); }
  onUpstreamConnectionClose(t: PeerType): void { this.target.onUpstreamConnectionClose(t); }
}

export class Context extends HttpContext {
  root_context: RootContext;
  private bridge: TcpBridge | null = null;

  constructor(context_id: u32, root_context: RootContext) {
    super(context_id, root_context);
    this.root_context = root_context;
  }

  get context_id(): u32 { return this.contextId; }

  tcpView(): TcpContext | null {
    if (this.bridge === null) this.bridge = new TcpBridge(this);
    return this.bridge;
  }

  onNewConnection(): FilterStatusValues { return FilterStatusValues.Continue; }
  onDownstreamData(size: usize, end: bool): FilterStatusValues { return FilterStatusValues.Continue; }
  onUpstreamData(size: usize, end: bool): FilterStatusValues { return FilterStatusValues.Continue; }
  onDownstreamConnectionClose(t: PeerTypeValues): void {}
  onUpstreamConnectionClose(t: PeerTypeValues): void {}
  onRequestMetadata(a: u32): FilterMetadataStatusValues { return FilterMetadataStatusValues.Continue; }
  onResponseMetadata(a: u32): FilterMetadataStatusValues { return FilterMetadataStatusValues.Continue; }

  continueRequest(): void { continueStream(StreamType.HttpRequest); }
  setEffectiveContext(): WasmResultValues { return setEffectiveContext(this.contextId); }
}

/** proxy-runtime's argument order: the factory first, then the root id. */
export function registerRootContext(root_context_factory: (context_id: u32) => RootContext, name: string): void {
  sdkRegisterRootContext(name, root_context_factory);
}
