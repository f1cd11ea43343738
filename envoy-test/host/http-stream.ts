// HTTP streams driven the way Envoy's wasm HTTP filter drives them (source/extensions/common/wasm/
// context.cc decodeHeaders, decodeData, decodeTrailers, encodeHeaders, encodeData, encodeTrailers,
// log, onDestroy; proxy-wasm-cpp-host src/context.cc CHECK_FAIL_HTTP and convertVmCallResultTo*Status).
import { BufferType, FilterDataStatus, FilterHeadersStatus, FilterTrailersStatus, MapType, StreamType, WasmResult } from "./abi.ts";
import { EMPTY, concatBytes } from "./codec.ts";
import type { PluginInfo, RootContext } from "./context.ts";
import { derivedHttpProperty, encodeAny } from "./properties.ts";
import { StreamContext, lowerHeaders, type StreamMode } from "./stream-context.ts";
import type { HeaderList, LocalResponse, PropertyValue, StreamEvents } from "./types.ts";
import type { WasmVm } from "./vm.ts";

export class HttpStream extends StreamContext {
  readonly kind = "http" as const;
  // The four header maps by MapType (request headers, request trailers, response headers,
  // response trailers). A list the driver hands over is lower-cased (as Envoy's codecs deliver
  // keys) only when something reads it: the module through a hostcall, or the driver through the
  // accessors below. A module that never looks at a map costs no scan of it.
  private readonly maps: HeaderList[] = [[], [], [], []];
  /** bit per MapType 0..3: maps[type] is the caller's list, not yet checked for upper-case keys */
  private unchecked = 0;
  requestBody: Uint8Array = EMPTY;
  responseBody: Uint8Array = EMPTY;
  localResponse: LocalResponse | null = null;
  /** proxy_close_stream was called (Envoy resets the stream) */
  closed = false;
  /** response code details Envoy records: wasm_close_stream, wasm_fail_stream, or the local reply's */
  responseCodeDetails = "";
  /** proxy_continue_stream calls, in order */
  readonly continued: StreamType[] = [];
  /** times the route cache was cleared (request header changes, clear_route_cache) */
  routeCacheClears = 0;
  accessLogPhase = false;
  /** request.time: when the stream was created (ns since the epoch, the host clock) */
  readonly startTimeNs: bigint;
  private requestBodyBytes = 0;
  private responseBodyBytes = 0;

  // Which maps/buffers Envoy currently holds pointers to (request_headers_ etc. in context.cc).
  private reqHeadersLive = false;
  private respHeadersLive = false;
  private reqTrailersLive = false;
  private respTrailersLive = false;
  private reqBodyLive = false;
  private respBodyLive = false;
  private reqBuffering = false;
  private respBuffering = false;
  private endOfStream = false;
  private failureLocalReplySent = false;
  /** bit per MapType 0..3: the list is the host's copy (else the caller's array, copied on first change) */
  private owned = 0;

  constructor(vm: WasmVm, id: number, root: RootContext, plugin: PluginInfo, mode: StreamMode,
    opts: { properties?: Record<string, PropertyValue>; events?: StreamEvents }) {
    super(vm, id, root, plugin, mode, opts);
    this.startTimeNs = vm.host.clock.realtimeNs();
  }

  get requestHeaders(): HeaderList { return this.map(MapType.HttpRequestHeaders); }
  set requestHeaders(h: HeaderList) { this.assign(MapType.HttpRequestHeaders, h, false); }
  get requestTrailers(): HeaderList { return this.map(MapType.HttpRequestTrailers); }
  set requestTrailers(h: HeaderList) { this.assign(MapType.HttpRequestTrailers, h, false); }
  get responseHeaders(): HeaderList { return this.map(MapType.HttpResponseHeaders); }
  set responseHeaders(h: HeaderList) { this.assign(MapType.HttpResponseHeaders, h, false); }
  get responseTrailers(): HeaderList { return this.map(MapType.HttpResponseTrailers); }
  set responseTrailers(h: HeaderList) { this.assign(MapType.HttpResponseTrailers, h, false); }

  /** The map, lower-cased on first use (a lower-cased copy is the host's own, else still the caller's). */
  private map(type: MapType): HeaderList {
    const bit = 1 << type;
    if (this.unchecked & bit) {
      this.unchecked &= ~bit;
      const h = this.maps[type];
      const l = lowerHeaders(h);
      if (l !== h) { this.maps[type] = l; this.owned |= bit; }
    }
    return this.maps[type];
  }

  /** A list from the driver (lower-cased lazily, copied before the first change) or the host's own. */
  private assign(type: MapType, h: HeaderList, fromDriver: boolean): void {
    const bit = 1 << type;
    this.maps[type] = h;
    this.owned &= ~bit;
    if (fromDriver) this.unchecked |= bit; else this.unchecked &= ~bit;
  }

  // --- driver ---

  callOnRequestHeaders(h: HeaderList, endOfStream = false): FilterHeadersStatus {
    this.assign(MapType.HttpRequestHeaders, h, true);
    if (this.mode === "skip") return FilterHeadersStatus.Continue;
    this.onCreate();
    this.reqHeadersLive = true;
    this.endOfStream = endOfStream;
    const r = this.headersCall("proxy_on_request_headers", h.length, endOfStream);
    if (r === FilterHeadersStatus.Continue) this.reqHeadersLive = false;
    return r;
  }

  callOnRequestBody(chunk: Uint8Array, endOfStream = false): FilterDataStatus {
    this.requestBodyBytes += chunk.length;
    if (this.mode === "skip" || !this.created) { this.requestBody = chunk; return FilterDataStatus.Continue; }
    this.requestBody = this.reqBuffering ? concatBytes(this.requestBody, chunk) : chunk;
    this.reqBodyLive = true;
    this.endOfStream = endOfStream;
    const r = this.dataCall("proxy_on_request_body", this.requestBody.length, endOfStream);
    this.reqBuffering = r === FilterDataStatus.StopIterationAndBuffer;
    if (r === FilterDataStatus.Continue) this.reqBodyLive = false;
    return r;
  }

  callOnRequestTrailers(t: HeaderList): FilterTrailersStatus {
    this.assign(MapType.HttpRequestTrailers, t, true);
    if (this.mode === "skip" || !this.created) return FilterTrailersStatus.Continue;
    this.reqTrailersLive = true;
    const r = this.trailersCall("proxy_on_request_trailers", t.length);
    if (r === FilterTrailersStatus.Continue) this.reqTrailersLive = false;
    return r;
  }

  callOnResponseHeaders(h: HeaderList, endOfStream = false): FilterHeadersStatus {
    this.assign(MapType.HttpResponseHeaders, h, true);
    // Envoy: no VM call before the context exists or after the fail-stream local reply.
    if (this.mode === "skip" || !this.created || this.failureLocalReplySent) return FilterHeadersStatus.Continue;
    this.respHeadersLive = true;
    this.endOfStream = endOfStream;
    const r = this.headersCall("proxy_on_response_headers", h.length, endOfStream);
    if (r === FilterHeadersStatus.Continue) this.respHeadersLive = false;
    return r;
  }

  callOnResponseBody(chunk: Uint8Array, endOfStream = false): FilterDataStatus {
    this.responseBodyBytes += chunk.length;
    if (this.mode === "skip" || !this.created || this.failureLocalReplySent) { this.responseBody = chunk; return FilterDataStatus.Continue; }
    this.responseBody = this.respBuffering ? concatBytes(this.responseBody, chunk) : chunk;
    this.respBodyLive = true;
    this.endOfStream = endOfStream;
    const r = this.dataCall("proxy_on_response_body", this.responseBody.length, endOfStream);
    this.respBuffering = r === FilterDataStatus.StopIterationAndBuffer;
    if (r === FilterDataStatus.Continue) this.respBodyLive = false;
    return r;
  }

  callOnResponseTrailers(t: HeaderList): FilterTrailersStatus {
    this.assign(MapType.HttpResponseTrailers, t, true);
    if (this.mode === "skip" || !this.created || this.failureLocalReplySent) return FilterTrailersStatus.Continue;
    this.respTrailersLive = true;
    const r = this.trailersCall("proxy_on_response_trailers", t.length);
    if (r === FilterTrailersStatus.Continue) this.respTrailersLive = false;
    return r;
  }

  /** End of stream, in Envoy's order: proxy_on_log (access log), proxy_on_done, proxy_on_delete. */
  complete(): void {
    if (this.mode === "skip" || this.destroyed) { this.destroyed = true; return; }
    // Envoy's Context::log creates the in-VM context if no callback did (e.g. an early local reply).
    if (!this.created) this.onCreate();
    this.finishContext(true);
  }

  // --- the calls, with cpp-host's fail checks and status conversion ---

  private checkFail(): boolean {
    if (!this.isFailed) return false;
    if (this.plugin.failOpen) return true;
    if (!this.streamFailed) {
      this.failStream();
      this.streamFailed = true;
    }
    return true;
  }

  /** Envoy Context::failStream: one 503 local reply, details wasm_fail_stream, gRPC Unavailable. */
  private failStream(): void {
    if (this.failureLocalReplySent) return;
    this.failureLocalReplySent = true;
    this.deliverLocalResponse({ status: 503, details: "wasm_fail_stream", body: EMPTY, headers: [], grpcStatus: 14 });
  }

  private headersCall(name: string, n: number, eos: boolean): FilterHeadersStatus {
    const failed = FilterHeadersStatus.StopAllIterationAndWatermark;
    if (this.checkFail()) return this.plugin.failOpen ? FilterHeadersStatus.Continue : failed;
    const f = this.vm.fns[name];
    if (!f) return FilterHeadersStatus.Continue;
    const vm = this.vm;
    vm.stopNextIteration = false;
    const res = vm.abi === "0_1_0" ? vm.call(this, name, f, this.contextId, n) : vm.call(this, name, f, this.contextId, n, eos ? 1 : 0);
    const stop = vm.stopNextIteration;
    vm.stopNextIteration = false;
    if (this.checkFail()) return this.plugin.failOpen ? FilterHeadersStatus.Continue : failed;
    const r = (res as number) >>> 0;
    if (stop || r > FilterHeadersStatus.StopAllIterationAndWatermark) return FilterHeadersStatus.StopAllIterationAndWatermark;
    // ABI 0.2.x: StopIteration on headers means StopAllIterationAndWatermark (cpp-host #143).
    if (r === FilterHeadersStatus.StopIteration) return FilterHeadersStatus.StopAllIterationAndWatermark;
    return r;
  }

  private dataCall(name: string, size: number, eos: boolean): FilterDataStatus {
    const failed = FilterDataStatus.StopIterationNoBuffer;
    if (this.checkFail()) return this.plugin.failOpen ? FilterDataStatus.Continue : failed;
    const f = this.vm.fns[name];
    if (!f) return FilterDataStatus.Continue;
    const vm = this.vm;
    vm.stopNextIteration = false;
    const res = vm.call(this, name, f, this.contextId, size, eos ? 1 : 0);
    const stop = vm.stopNextIteration;
    vm.stopNextIteration = false;
    if (this.checkFail()) return this.plugin.failOpen ? FilterDataStatus.Continue : failed;
    const r = (res as number) >>> 0;
    if (stop || r > FilterDataStatus.StopIterationNoBuffer) return FilterDataStatus.StopIterationNoBuffer;
    return r;
  }

  private trailersCall(name: string, n: number): FilterTrailersStatus {
    if (this.checkFail()) return this.plugin.failOpen ? FilterTrailersStatus.Continue : FilterTrailersStatus.StopIteration;
    const f = this.vm.fns[name];
    if (!f) return FilterTrailersStatus.Continue;
    const vm = this.vm;
    vm.stopNextIteration = false;
    const res = vm.call(this, name, f, this.contextId, n);
    const stop = vm.stopNextIteration;
    vm.stopNextIteration = false;
    if (this.checkFail()) return this.plugin.failOpen ? FilterTrailersStatus.Continue : FilterTrailersStatus.StopIteration;
    const r = (res as number) >>> 0;
    if (stop || r > FilterTrailersStatus.StopIteration) return FilterTrailersStatus.StopIteration;
    return r;
  }

  // --- what hostcalls see ---

  override constMap(type: MapType): HeaderList | null {
    const log = this.accessLogPhase;
    switch (type) {
      case MapType.HttpRequestHeaders: return log || this.reqHeadersLive ? this.map(type) : null;
      case MapType.HttpRequestTrailers: return log ? null : this.reqTrailersLive ? this.map(type) : null;
      case MapType.HttpResponseHeaders: return log || this.respHeadersLive ? this.map(type) : null;
      case MapType.HttpResponseTrailers: return log || this.respTrailersLive ? this.map(type) : null;
      default: return this.root.rootConstMap(type);
    }
  }

  override mutableMap(type: MapType): HeaderList | null {
    if (this.accessLogPhase) return null;
    switch (type) {
      case MapType.HttpRequestHeaders:
        if (!this.reqHeadersLive) return null;
        return this.ownMap(type);
      case MapType.HttpResponseHeaders:
        if (!this.respHeadersLive) return null;
        return this.ownMap(type);
      case MapType.HttpRequestTrailers:
        // Envoy adds trailers when asked from the last body chunk (addDecodedTrailers).
        if (!this.reqTrailersLive && this.reqBodyLive && this.endOfStream) { this.assign(type, [], false); this.owned |= 2; this.reqTrailersLive = true; }
        if (!this.reqTrailersLive) return null;
        return this.ownMap(type);
      case MapType.HttpResponseTrailers:
        if (!this.respTrailersLive && this.respBodyLive && this.endOfStream) { this.assign(type, [], false); this.owned |= 8; this.respTrailersLive = true; }
        if (!this.respTrailersLive) return null;
        return this.ownMap(type);
      default: return null;
    }
  }

  /** The map as the host's own list (the driver's array is copied before the first change). */
  private ownMap(type: MapType): HeaderList {
    const h = this.map(type);
    const bit = 1 << type;
    if (this.owned & bit) return h;
    this.owned |= bit;
    return (this.maps[type] = h.slice());
  }

  /** With ABI <= 0.2.1 every request-header change clears the route cache (context.cc, Context::addHeaderMapValue and the other edits). */
  override onHeadersModified(type: MapType): void {
    if (type === MapType.HttpRequestHeaders) this.clearRouteCache();
  }

  override clearRouteCache(): void {
    this.routeCacheClears++;
  }

  override buffer(type: BufferType): Uint8Array | null {
    if (type === BufferType.HttpRequestBody) return this.reqBodyLive ? this.requestBody : EMPTY;
    if (type === BufferType.HttpResponseBody) return this.respBodyLive ? this.responseBody : EMPTY;
    return super.buffer(type);
  }

  override setBuffer(type: BufferType, bytes: Uint8Array): WasmResult {
    if (type === BufferType.HttpRequestBody && this.reqBodyLive) { this.requestBody = bytes; return WasmResult.Ok; }
    if (type === BufferType.HttpResponseBody && this.respBodyLive) { this.responseBody = bytes; return WasmResult.Ok; }
    return WasmResult.BadArgument;
  }

  override streamProperty(parts: string[]): Uint8Array | null | undefined {
    const d = derivedHttpProperty(parts, this.requestHeaders, this.responseHeaders, this.responseTrailers);
    const key = parts.join(".");
    if (key in this.properties) return encodeAny(this.properties[key]);
    if (d !== undefined && d !== null) return encodeAny(d);
    if (key === "response.code_details" && this.responseCodeDetails) return encodeAny(this.responseCodeDetails);
    // expr/context.cc RequestWrapper / ResponseWrapper: time (timestamp), body sizes (int).
    if (key === "request.time") return encodeAny(this.startTimeNs);
    if (key === "request.size") return encodeAny(this.requestBodyBytes);
    if (key === "response.size") return encodeAny(this.responseBodyBytes);
    return super.streamProperty(parts);
  }

  override sendLocalResponse(r: LocalResponse): void {
    this.vm.afterCall(() => this.deliverLocalResponse(r));
  }

  private deliverLocalResponse(r: LocalResponse): void {
    this.localResponse = r;
    if (!this.responseCodeDetails) this.responseCodeDetails = r.details;
    this.events.onLocalResponse?.(r);
  }

  override continueStream(type: StreamType): WasmResult {
    if (type === StreamType.Upstream) return WasmResult.Unimplemented;
    if (type > StreamType.Upstream) return WasmResult.BadArgument;
    if (type === StreamType.Downstream) return WasmResult.Ok;
    this.vm.afterCall(() => {
      this.continued.push(type);
      this.events.onContinue?.(type);
    });
    // Envoy's continueStream drops its request map/buffer pointers for both directions.
    this.reqHeadersLive = false;
    this.reqBodyLive = false;
    this.reqTrailersLive = false;
    return WasmResult.Ok;
  }

  override closeStream(type: StreamType): WasmResult {
    if (type > StreamType.Upstream) return WasmResult.BadArgument;
    if (type === StreamType.HttpRequest || type === StreamType.HttpResponse) {
      if (!this.responseCodeDetails) this.responseCodeDetails = "wasm_close_stream";
      this.vm.afterCall(() => {
        this.closed = true;
        this.events.onClose?.(type);
      });
    }
    return WasmResult.Ok;
  }

  override inLogPhase(): boolean { return this.accessLogPhase; }
  protected override beginLogPhase(): void { this.accessLogPhase = true; }
  protected override endLogPhase(): void { this.accessLogPhase = false; }
}

