// Contexts, as Envoy creates them (proxy-wasm-cpp-host include/proxy-wasm/context.h):
//
//   VM (one per worker thread)
//    └─ RootContext  one per plugin (root_id) in the VM: configuration, ticks, queues
//        ├─ HttpContext  one per HTTP stream   (envoy.filters.http.wasm)
//        └─ TcpContext   one per connection    (envoy.filters.network.wasm)
//
// Every callback has a no-op default: a filter overrides only what it uses.
import { FilterDataStatus, FilterHeadersStatus, FilterStatus, FilterTrailersStatus, PeerType } from "./enums";
import { GrpcCallHandler, GrpcStreamHandler, makeGrpcCall, makeGrpcStream } from "./grpc";
import { HeaderPair } from "./headers";
import { HttpCallHandler, makeHttpCall } from "./http-call";
import { pluginConfiguration as pluginConfigurationBuffer, vmConfiguration as vmConfigurationBuffer } from "./buffers";
import { setTickPeriod as setTickPeriodRaw } from "./timers";

// A context object holds only its id (and a stream its root): the dispatcher tells the kinds
// apart by class (instanceof), so a stream costs no bytes for it.
export abstract class BaseContext {
  constructor(readonly contextId: u32) {}

  /** @internal A context created as HTTP that can also serve TCP callbacks (used by the
   *  proxy-runtime compatibility layer, whose Context class handles both). */
  tcpView(): TcpContext | null { return null; }

  /** Sends an HTTP request to `cluster` (headers must include :method, :path, :authority);
   *  the response (or failure) comes back to THIS context through handler.onResponse.
   *  Returns the token, 0 on failure (see lastResult()). Valid in any callback of this context. */
  httpCall(cluster: string, headers: HeaderPair[], body: ArrayBuffer | null, trailers: HeaderPair[],
           timeoutMs: u32, handler: HttpCallHandler): u32 {
    return makeHttpCall(this, cluster, headers, body, trailers, timeoutMs, handler);
  }

  /** Unary gRPC call; the reply comes back to THIS context through the handler. Token, 0 on
   *  failure. Valid in any callback of this context. */
  grpcCall(cluster: string, service: string, method: string, initialMetadata: HeaderPair[],
           message: ArrayBuffer, timeoutMs: u32, handler: GrpcCallHandler): u32 {
    return makeGrpcCall(this, cluster, service, method, initialMetadata, message, timeoutMs, handler);
  }

  /** Opens a gRPC stream whose callbacks come back to THIS context. Token, 0 on failure.
   *  Valid in any callback of this context. */
  grpcStream(cluster: string, service: string, method: string, initialMetadata: HeaderPair[],
             handler: GrpcStreamHandler): u32 {
    return makeGrpcStream(this, cluster, service, method, initialMetadata, handler);
  }
}

export class RootContext extends BaseContext {
  /** The plugin's root_id (Envoy's plugin_root_id property), set before onVmStart. */
  rootId: string = "";

  constructor(contextId: u32) { super(contextId); }

  /** Once per VM, before onConfigure. Return false to fail the VM. */
  onVmStart(vmConfigurationSize: usize): bool { return true; }
  /** Envoy's proxy_validate_configuration (config validation without applying it). */
  onValidateConfiguration(configurationSize: usize): bool { return true; }
  /** On every (re)configuration. Return false to reject the config (Envoy refuses the plugin). */
  onConfigure(pluginConfigurationSize: usize): bool { return true; }
  /** Every tick period (setTickPeriod). */
  onTick(): void {}
  /** A message arrived on a queue this root context registered. */
  onQueueReady(queueId: u32): void {}
  /** The host called a foreign function on this plugin; arguments in foreignFunctionArguments. */
  onForeignFunction(functionId: u32, argumentsSize: usize): void {}
  /** The plugin is being removed. Return false to delay; then call done() later. */
  onDone(): bool { return true; }
  onDelete(): void {}
  /** A new HTTP stream of this plugin: return its context, or null when this root serves TCP. */
  newHttpContext(contextId: u32): HttpContext | null { return null; }
  /** A new TCP connection of this plugin: return its context, or null when this root serves HTTP. */
  newTcpContext(contextId: u32): TcpContext | null { return null; }

  /** The plugin configuration as UTF-8 text. Valid in onConfigure / onValidateConfiguration. */
  pluginConfiguration(): string { return pluginConfigurationBuffer.getText(); }
  /** The VM configuration as UTF-8 text. Valid in onVmStart. */
  vmConfiguration(): string { return vmConfigurationBuffer.getText(); }
  /** Calls onTick every `ms` ms (0 stops). Valid in this root context's callbacks. */
  setTickPeriod(ms: u32): void { setTickPeriodRaw(ms); }
}

export class HttpContext extends BaseContext {
  constructor(contextId: u32, readonly root: RootContext) { super(contextId); }

  onRequestHeaders(numHeaders: u32, endOfStream: bool): FilterHeadersStatus { return FilterHeadersStatus.Continue; }
  onRequestBody(bodySize: usize, endOfStream: bool): FilterDataStatus { return FilterDataStatus.Continue; }
  onRequestTrailers(numTrailers: u32): FilterTrailersStatus { return FilterTrailersStatus.Continue; }
  onResponseHeaders(numHeaders: u32, endOfStream: bool): FilterHeadersStatus { return FilterHeadersStatus.Continue; }
  onResponseBody(bodySize: usize, endOfStream: bool): FilterDataStatus { return FilterDataStatus.Continue; }
  onResponseTrailers(numTrailers: u32): FilterTrailersStatus { return FilterTrailersStatus.Continue; }
  /** After the stream completes, for access logging; headers are still readable. */
  onLog(): void {}
  onDone(): bool { return true; }
  onDelete(): void {}
}

export class TcpContext extends BaseContext {
  constructor(contextId: u32, readonly root: RootContext) { super(contextId); }

  onNewConnection(): FilterStatus { return FilterStatus.Continue; }
  /** Bytes from the client (read/modify downstreamData). */
  onDownstreamData(dataSize: usize, endOfStream: bool): FilterStatus { return FilterStatus.Continue; }
  /** Bytes from the upstream toward the client (read/modify upstreamData). */
  onUpstreamData(dataSize: usize, endOfStream: bool): FilterStatus { return FilterStatus.Continue; }
  onDownstreamConnectionClose(peer: PeerType): void {}
  onUpstreamConnectionClose(peer: PeerType): void {}
  onLog(): void {}
  onDone(): bool { return true; }
  onDelete(): void {}
}

/** The factory a filter registers for one root id. A plain function (no captured variables). */
export type RootContextFactory = (contextId: u32) => RootContext;
