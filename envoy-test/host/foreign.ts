// Foreign functions Envoy registers for proxy_call_foreign_function (source/extensions/common/wasm/
// foreign.cc). set_envoy_filter_state parses SetEnvoyFilterStateArguments {path = 1, value = 2,
// span = 3} (ext/set_envoy_filter_state.proto) and stores the value under `path` in the stream's
// filter state when an object factory is registered for that key (NotFound otherwise, BadArgument
// for an unparsable message, NotFound without a stream). clear_route_cache clears the route cache of
// the calling HTTP stream.
import { WasmResult } from "./abi.ts";
import { text } from "./codec.ts";
import type { PluginInfo } from "./types.ts";

/** What a foreign function may do to the calling stream (an HTTP or TCP context). */
export interface ForeignCallStream {
  envoyFilterState(): Map<string, Uint8Array> | null;
  clearRouteCache(): void;
}

/** A foreign function as Envoy registers it (source/extensions/common/wasm/foreign.cc). */
export type ForeignFunction = (args: Uint8Array, ctx: ForeignCallContext) =>
  { result: number; data?: Uint8Array };

export interface ForeignCallContext {
  /** the stream (HTTP or TCP context) the calling context is, or null for a root context */
  stream: ForeignCallStream | null;
  contextId: number;
  worker: number;
  /** the calling plugin (null when a test calls the function directly) */
  plugin: PluginInfo | null;
}

/**
 * Filter-state keys with an ObjectFactory in Envoy (StreamInfo::FilterState::ObjectFactory
 * registrations); a module may only set these. Extend via Host.filterStateFactories.
 */
export const DEFAULT_FILTER_STATE_FACTORIES = [
  "envoy.tcp_proxy.cluster",
  "envoy.network.upstream_server_name",
  "envoy.network.application_protocols",
  "envoy.network.upstream_subject_alt_names",
  "envoy.network.transport_socket.original_dst_address",
  "envoy.upstream.dynamic_host",
  "envoy.upstream.dynamic_port",
  "envoy.string",
];

interface FilterStateArgs { path: string; value: Uint8Array; span: number }

function readVarint(b: Uint8Array, pos: { p: number }): number | null {
  let result = 0, shift = 0;
  while (pos.p < b.length) {
    const byte = b[pos.p++];
    result += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return result;
    shift += 7;
    if (shift > 63) return null;
  }
  return null;
}

export function parseFilterStateArgs(b: Uint8Array): FilterStateArgs | null {
  const out: FilterStateArgs = { path: "", value: new Uint8Array(0), span: 0 };
  const pos = { p: 0 };
  while (pos.p < b.length) {
    const tag = readVarint(b, pos);
    if (tag === null) return null;
    const field = Math.floor(tag / 8), wire = tag & 7;
    if (wire === 0) {
      const v = readVarint(b, pos);
      if (v === null) return null;
      if (field === 3) out.span = v;
    } else if (wire === 2) {
      const n = readVarint(b, pos);
      if (n === null || pos.p + n > b.length) return null;
      const data = b.subarray(pos.p, pos.p + n);
      pos.p += n;
      if (field === 1) out.path = text(data);
      else if (field === 2) out.value = data.slice();
    } else if (wire === 1) pos.p += 8;
    else if (wire === 5) pos.p += 4;
    else return null;
    if (pos.p > b.length) return null;
  }
  return out;
}

export function defaultForeignFunctions(factories: Set<string>): Map<string, ForeignFunction> {
  const m = new Map<string, ForeignFunction>();
  m.set("set_envoy_filter_state", (args, call) => {
    const a = parseFilterStateArgs(args);
    if (!a) return { result: WasmResult.BadArgument };
    if (!factories.has(a.path)) return { result: WasmResult.NotFound };
    const fs = call.stream?.envoyFilterState();
    if (!fs) return { result: WasmResult.NotFound };
    fs.set(a.path, a.value);
    return { result: WasmResult.Ok };
  });
  m.set("clear_route_cache", (_args, call) => {
    call.stream?.clearRouteCache();
    return { result: WasmResult.Ok };
  });
  return m;
}
