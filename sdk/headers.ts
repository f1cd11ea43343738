// Header maps (request/response headers and trailers, callout responses, gRPC metadata).
//
// Serialised pairs, as proxy_get/set_header_map_pairs and proxy_send_local_response carry them
// (spec abi-versions/v0.2.1 "Header maps"; proxy-wasm-cpp-host src/pairs_util.cc):
//
//   ┌──────────┬─────────────┬───────────────┬─────┬──────────────────────────────────────┐
//   │ u32 count│ u32 key0_len│ u32 value0_len│ ... │ key0 \0 value0 \0 key1 \0 value1 \0… │
//   └──────────┴─────────────┴───────────────┴─────┴──────────────────────────────────────┘
//   all integers little-endian; lengths exclude the NUL.
import {
  proxy_add_header_map_value, proxy_get_header_map_pairs, proxy_get_header_map_size,
  proxy_get_header_map_value, proxy_remove_header_map_value, proxy_replace_header_map_value,
  proxy_set_header_map_pairs,
} from "./bindings";
import { MapType, WasmResult } from "./enums";
import { clearReturn, freeHost, RET, RET_PTR, RET_SIZE, takeReturnedString } from "./memory";
import { setLastResult } from "./status";
import { tempFirstLen, tempSecondLen, tempSecondPtr, utf8Length, utf8Temp, utf8Write } from "./utf8";

let rawPairsLen: usize = 0;

/** The size of the block the last HeaderMap.getRawPairs returned (0 when it returned 0). */
export function rawPairsLength(): usize { return rawPairsLen; }

export class HeaderPair {
  constructor(public key: string, public value: string) {}
}

/** Serialises pairs in the ABI's layout (see the diagram above). Pure: no hostcall. */
export function serializePairs(pairs: HeaderPair[]): ArrayBuffer {
  const n = pairs.length;
  let size = 4 + 8 * n;
  for (let i = 0; i < n; i++) {
    const p = unchecked(pairs[i]);
    size += <i32>(utf8Length(p.key) + utf8Length(p.value)) + 2;
  }
  const buf = new ArrayBuffer(size);
  const base = changetype<usize>(buf);
  store<u32>(base, <u32>n);
  let lens = base + 4;
  let data = base + 4 + 8 * <usize>n;
  for (let i = 0; i < n; i++) {
    const p = unchecked(pairs[i]);
    const kl = utf8Write(p.key, data);
    store<u8>(data + kl, 0);
    data += kl + 1;
    const vl = utf8Write(p.value, data);
    store<u8>(data + vl, 0);
    data += vl + 1;
    store<u32>(lens, <u32>kl);
    store<u32>(lens, <u32>vl, 4);
    lens += 8;
  }
  return buf;
}

/** Parses pairs in the ABI's layout from [ptr, ptr+len). Malformed input (count or lengths that
 *  run past len) yields the pairs read so far and sets lastResult() to SerializationFailure.
 *  Pure: no hostcall. */
export function deserializePairs(ptr: usize, len: usize): HeaderPair[] {
  const out = new Array<HeaderPair>();
  setLastResult(WasmResult.Ok);
  if (len == 0) return out;
  if (len < 4) { setLastResult(WasmResult.SerializationFailure); return out; }
  const n = <usize>load<u32>(ptr);
  const end = ptr + len;
  if (n > (len - 4) / 8) { setLastResult(WasmResult.SerializationFailure); return out; }
  let lens = ptr + 4;
  let data = lens + 8 * n;
  for (let i: usize = 0; i < n; i++) {
    const kl = <usize>load<u32>(lens);
    const vl = <usize>load<u32>(lens, 4);
    lens += 8;
    if (kl + vl + 2 > end - data) { setLastResult(WasmResult.SerializationFailure); return out; }
    const key = String.UTF8.decodeUnsafe(data, kl, false);
    data += kl + 1;
    const value = String.UTF8.decodeUnsafe(data, vl, false);
    data += vl + 1;
    out.push(new HeaderPair(key, value));
  }
  return out;
}

/** One header map of the current context (request headers, response trailers, ...).
 *  Valid only in the callbacks where Envoy has that map (see each constant below); elsewhere
 *  the host answers NotFound / BadArgument and the methods return null / do nothing. */
// @unmanaged: the instances are the immortal module constants below (headerMapOf picks
// one by type); the collector need not trace them. Constructing more would leak: do not.
@final @unmanaged
export class HeaderMap {
  constructor(readonly type: MapType) {}

  /** The value of `name`, or null when absent. With several entries of that name Envoy answers
   *  the first (context.cc getHeaderMapValue); all() sees every entry. */
  get(name: string): string | null {
    const key = utf8Temp(name);
    clearReturn();
    const r = proxy_get_header_map_value(<u32>this.type, key, tempFirstLen(), RET_PTR, RET_SIZE);
    setLastResult(r);
    if (r != WasmResult.Ok) return null;
    return takeReturnedString();
  }

  /** Appends a value (keeps existing ones with the same name). */
  add(name: string, value: string): void {
    const k = utf8Temp(name, value);
    setLastResult(proxy_add_header_map_value(<u32>this.type, k, tempFirstLen(), tempSecondPtr(), tempSecondLen()));
  }

  /** add() with name and value already UTF-8 encoded (e.g. once at configure time): no
   *  encoding or allocation per call. */
  addBytes(name: ArrayBuffer, value: ArrayBuffer): void {
    setLastResult(proxy_add_header_map_value(<u32>this.type, changetype<usize>(name), name.byteLength, changetype<usize>(value), value.byteLength));
  }

  /** replace() with name and value already UTF-8 encoded: no encoding or allocation per call. */
  replaceBytes(name: ArrayBuffer, value: ArrayBuffer): void {
    setLastResult(proxy_replace_header_map_value(<u32>this.type, changetype<usize>(name), name.byteLength, changetype<usize>(value), value.byteLength));
  }

  /** remove() with the name already UTF-8 encoded (lower case, as Envoy stores names). */
  removeBytes(name: ArrayBuffer): void {
    setLastResult(proxy_remove_header_map_value(<u32>this.type, changetype<usize>(name), name.byteLength));
  }

  /** The map's pairs serialised as the host sent them (layout above), undecoded, in a block the
   *  caller owns: returns its address (0 when the map is absent or empty) and rawPairsLength()
   *  its size; free it with freeBytes(). The form for filters that scan headers as bytes. */
  getRawPairs(): usize {
    clearReturn();
    const r = proxy_get_header_map_pairs(<u32>this.type, RET_PTR, RET_SIZE);
    setLastResult(r);
    const ptr = <usize>load<u32>(RET_PTR);
    rawPairsLen = r == WasmResult.Ok ? <usize>load<u32>(RET_SIZE) : 0;
    if (r != WasmResult.Ok) { freeHost(ptr); return 0; }
    return ptr;
  }

  /** Replaces the whole map with pairs already serialised in the layout above (one hostcall). */
  setRawPairs(ptr: usize, len: usize): void {
    setLastResult(proxy_set_header_map_pairs(<u32>this.type, ptr, len));
  }

  /** Sets `name` to exactly this value (adds it when absent). */
  replace(name: string, value: string): void {
    const k = utf8Temp(name, value);
    setLastResult(proxy_replace_header_map_value(<u32>this.type, k, tempFirstLen(), tempSecondPtr(), tempSecondLen()));
  }

  /** Removes every value of `name`; absent is not an error. */
  remove(name: string): void {
    const k = utf8Temp(name);
    setLastResult(proxy_remove_header_map_value(<u32>this.type, k, tempFirstLen()));
  }

  /** Every pair in order, pseudo-headers (":path", ...) included. Empty when the map is absent. */
  all(): HeaderPair[] {
    clearReturn();
    const r = proxy_get_header_map_pairs(<u32>this.type, RET_PTR, RET_SIZE);
    setLastResult(r);
    const ptr = <usize>load<u32>(RET_PTR);
    const size = <usize>load<u32>(RET_SIZE);
    if (r != WasmResult.Ok) { freeHost(ptr); return new Array<HeaderPair>(); }
    const pairs = deserializePairs(ptr, size);
    freeHost(ptr);
    return pairs;
  }

  /** Replaces the whole map with `pairs`. */
  setAll(pairs: HeaderPair[]): void {
    const buf = serializePairs(pairs);
    setLastResult(proxy_set_header_map_pairs(<u32>this.type, changetype<usize>(buf), buf.byteLength));
  }

  /** Number of entries (0 when the map is absent). Note Envoy reports the map's byte size for
   *  proxy_get_header_map_size (context.cc getHeaderMapSize: byteSize()), so this counts pairs. */
  size(): u32 {
    return <u32>this.all().length;
  }

  /** The raw proxy_get_header_map_size answer (Envoy: the map's byte size). */
  byteSize(): u32 {
    store<u32>(RET, 0);
    setLastResult(proxy_get_header_map_size(<u32>this.type, RET));
    return load<u32>(RET);
  }
}

/** Valid in onRequestHeaders (and later request callbacks while the headers are still held). */
export const requestHeaders = new HeaderMap(MapType.HttpRequestHeaders);
/** Valid in onRequestTrailers. */
export const requestTrailers = new HeaderMap(MapType.HttpRequestTrailers);
/** Valid in onResponseHeaders (and later response callbacks). */
export const responseHeaders = new HeaderMap(MapType.HttpResponseHeaders);
/** Valid in onResponseTrailers. */
export const responseTrailers = new HeaderMap(MapType.HttpResponseTrailers);
/** Valid in HttpCallHandler.onResponse. */
export const httpCallResponseHeaders = new HeaderMap(MapType.HttpCallResponseHeaders);
/** Valid in HttpCallHandler.onResponse. */
export const httpCallResponseTrailers = new HeaderMap(MapType.HttpCallResponseTrailers);
/** Valid in GrpcCallHandler/GrpcStreamHandler.onReceiveInitialMetadata. */
export const grpcReceiveInitialMetadata = new HeaderMap(MapType.GrpcReceiveInitialMetadata);
/** Valid in GrpcCallHandler/GrpcStreamHandler.onReceiveTrailingMetadata. */
export const grpcReceiveTrailingMetadata = new HeaderMap(MapType.GrpcReceiveTrailingMetadata);

/** The header map constant for a MapType (HeaderMap objects are immortal: use these, never `new`). */
export function headerMapOf(type: MapType): HeaderMap {
  switch (type) {
    case MapType.HttpRequestHeaders: return requestHeaders;
    case MapType.HttpRequestTrailers: return requestTrailers;
    case MapType.HttpResponseHeaders: return responseHeaders;
    case MapType.HttpResponseTrailers: return responseTrailers;
    case MapType.GrpcReceiveInitialMetadata: return grpcReceiveInitialMetadata;
    case MapType.GrpcReceiveTrailingMetadata: return grpcReceiveTrailingMetadata;
    case MapType.HttpCallResponseHeaders: return httpCallResponseHeaders;
  }
  return httpCallResponseTrailers;
}
