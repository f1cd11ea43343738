// Contexts as proxy-wasm-cpp-host models them (include/proxy-wasm/context.h ContextBase): a root
// context per plugin per VM, stream contexts (HTTP, TCP) under it. Hostcalls act on the current
// or effective context through the methods below; stream classes (http-stream.ts, tcp-connection.ts) override them.
import { BufferType, MapType, StreamType, WasmResult } from "./abi.ts";
import { EMPTY } from "./codec.ts";
import { lowerKey } from "./header-map.ts";
import { defaultNode, encodeAny, encodeProperty } from "./properties.ts";
import type { HeaderList, LocalResponse, PluginInfo } from "./types.ts";
import type { WasmVm } from "./vm.ts";
import type { TimerHandle } from "./clock.ts";

export type { PluginInfo };

export abstract class ContextBase {
  abstract readonly kind: "root" | "http" | "tcp";
  /** in_vm_context_created_ (cpp-host): proxy_on_context_create has run */
  created = false;
  destroyed = false;
  /** CallData buffer: the arguments of the foreign function call in progress */
  callData: Uint8Array = EMPTY;

  constructor(readonly vm: WasmVm, readonly contextId: number, public root: RootContext, readonly plugin: PluginInfo) {}

  get isFailed(): boolean { return this.vm.failed; }

  /** Header map for reads (getConstMap in Envoy's context.cc); null = not available now. */
  constMap(type: MapType): HeaderList | null {
    return this.root.rootConstMap(type);
  }
  /** Header map for writes (getMap); null = BadArgument. */
  mutableMap(_type: MapType): HeaderList | null { return null; }
  onHeadersModified(_type: MapType): void {}
  /** proxy_on_log is running (Envoy access_log_phase_) */
  inLogPhase(): boolean { return false; }

  /** Buffer bytes (getBuffer); null = NotFound. */
  buffer(type: BufferType): Uint8Array | null {
    switch (type) {
      case BufferType.VmConfiguration: return this.vm.vmConfiguration;
      case BufferType.PluginConfiguration: return this.root.tempPluginConfiguration;
      case BufferType.CallData: return this.callData;
      case BufferType.HttpCallResponseBody: return this.root.httpCallResponse ? this.root.httpCallResponse.body : null;
      case BufferType.GrpcReceiveBuffer: return this.root.grpcReceiveBuffer ?? EMPTY;
      case BufferType.HttpRequestBody: case BufferType.HttpResponseBody:
      case BufferType.DownstreamData: case BufferType.UpstreamData:
        return EMPTY;
      default: return null;
    }
  }
  /** Replaces a buffer's bytes; BadArgument for buffers the module cannot modify. */
  setBuffer(_type: BufferType, _bytes: Uint8Array): WasmResult { return WasmResult.BadArgument; }

  /** Stream-specific properties (request.*, source.*, filter state); undefined = not handled here. */
  streamProperty(_parts: string[]): Uint8Array | null | undefined { return undefined; }
  /** set_property: filter state of the stream (Envoy: NotFound without stream info). */
  setProperty(_path: string, _value: Uint8Array): WasmResult { return WasmResult.NotFound; }

  property(parts: string[]): Uint8Array | null {
    if (parts.length === 0) return null;
    const s = this.streamProperty(parts);
    if (s !== undefined) return s;
    const key = parts.join(".");
    switch (key) {
      case "plugin_name": return encodeProperty(this.plugin.name);
      case "plugin_root_id": return encodeProperty(this.plugin.rootId);
      case "plugin_vm_id": return encodeProperty(this.plugin.vmId);
    }
    if (key in this.plugin.properties) return encodeAny(this.plugin.properties[key]);
    const host = this.vm.process.properties;
    if (key in host) return encodeAny(host[key]);
    // Current Envoy serves the node (and cluster_name, route_name, listener_direction, ...) under
    // xds.* (filters/common/expr/context.h); the old top-level names are no longer resolved.
    if (key === "xds.node") return defaultNode();
    return null;
  }

  /** Envoy only sends a local reply when there are decoder callbacks (an HTTP stream). */
  sendLocalResponse(_r: LocalResponse): void {}
  continueStream(type: StreamType): WasmResult {
    if (type === StreamType.Upstream) return WasmResult.Unimplemented;
    if (type > StreamType.Upstream) return WasmResult.BadArgument;
    return WasmResult.Ok;
  }
  closeStream(type: StreamType): WasmResult {
    return type > StreamType.Upstream ? WasmResult.BadArgument : WasmResult.Ok;
  }
  /** Filter state access for set_envoy_filter_state (null: no stream info). */
  envoyFilterState(): Map<string, Uint8Array> | null { return null; }
  clearRouteCache(): void {}
}

/**
 * Context::sendLocalResponse's reading of the module's arguments: header keys lower-cased
 * (Http::LowerCaseString), details with whitespace replaced by '_' (StringUtil::replaceAllEmptySpace),
 * a gRPC status outside 0..16 (SDKs pass -1) meaning none.
 */
export function localResponse(status: number, details: string, body: Uint8Array, headers: HeaderList, grpc: number): LocalResponse {
  return {
    status, details: details.replace(/\s/g, "_"), body,
    headers: headers.map(([k, v]) => [lowerKey(k), v] as [string, string]),
    grpcStatus: grpc >= 0 && grpc <= 16 ? grpc : -1,
  };
}

export interface CallResponse { headers: HeaderList; body: Uint8Array; trailers: HeaderList }

export class RootContext extends ContextBase {
  readonly kind = "root" as const;
  /** set only while proxy_on_configure / validate_configuration runs (Envoy temp_plugin_) */
  tempPluginConfiguration: Uint8Array | null = null;
  httpCallResponse: CallResponse | null = null;
  grpcReceiveBuffer: Uint8Array | null = null;
  grpcInitialMetadata: HeaderList | null = null;
  grpcTrailingMetadata: HeaderList | null = null;
  /** proxy_get_status: set by callout failures and gRPC close */
  statusCode = 0;
  statusMessage = "";
  tickPeriod = 0;
  tickTimer: TimerHandle | null = null;
  /** on_done returned false: waiting for proxy_done */
  pendingDone = false;
  deleted = false;

  constructor(vm: WasmVm, contextId: number, plugin: PluginInfo) {
    super(vm, contextId, null as unknown as RootContext, plugin);
    this.root = this;
  }

  rootConstMap(type: MapType): HeaderList | null {
    switch (type) {
      case MapType.GrpcReceiveInitialMetadata: return this.grpcInitialMetadata;
      case MapType.GrpcReceiveTrailingMetadata: return this.grpcTrailingMetadata;
      case MapType.HttpCallResponseHeaders: return this.httpCallResponse ? this.httpCallResponse.headers : null;
      case MapType.HttpCallResponseTrailers: return this.httpCallResponse ? this.httpCallResponse.trailers : null;
      default: return null;
    }
  }
}
