// HTTP filter chain iteration as Envoy's FilterManager does it (source/common/http/filter_manager.cc):
// decoder filters in config order, encoder filters in reverse; a filter that does not return
// Continue pauses the filters after it until it calls continue (proxy_continue_stream); data that
// reaches a paused filter is buffered there and handed to it again, whole, on the next call.
import { FilterDataStatus, FilterHeadersStatus, StreamType } from "../host/index.ts";
import type { HeaderList, HttpStream, LocalResponse, Plugin, PropertyValue } from "../host/index.ts";

export interface ChainSink {
  /** all decoder filters passed the request headers */
  onRequestHeaders(headers: HeaderList, endOfStream: boolean): void;
  onRequestData(data: Uint8Array, endOfStream: boolean): void;
  onResponseHeaders(headers: HeaderList, endOfStream: boolean): void;
  onResponseData(data: Uint8Array, endOfStream: boolean): void;
  /** a filter sent a local reply (proxy_send_local_response) */
  onLocalReply(r: LocalResponse): void;
  /** a filter closed the stream (proxy_close_stream): Envoy resets it */
  onReset(): void;
}

interface Slot {
  stream: HttpStream;
  /** the filter stopped on body data (non-null); the bytes of it that the chain, not the host, holds */
  reqData: Uint8Array | null; reqEos: boolean;
  resData: Uint8Array | null; resEos: boolean;
}

const EMPTY = new Uint8Array(0);
const concat = (a: Uint8Array | null, b: Uint8Array): Uint8Array => (a && a.length ? Buffer.concat([a, b]) : b);

/**
 * What the chain keeps for a filter that stopped on body data. After StopIterationAndBuffer the
 * host's stream holds the buffered body itself and hands it whole to the next body callback
 * (Envoy: FilterManager commonHandleBufferData moves the chunk into the filter's buffered data,
 * and Wasm Context::getBuffer returns that buffer while buffering_request_body_ is set), so the
 * chain passes only each new chunk; passing the held bytes again would duplicate them. For the
 * other stop statuses the host keeps only the last chunk, and the chain holds it.
 */
function heldByChain(st: FilterDataStatus, body: Uint8Array): Uint8Array {
  return st === FilterDataStatus.StopIterationAndBuffer ? EMPTY : body;
}

/**
 * Data that arrived while the headers were stopped. A Wasm filter's StopIteration on headers is
 * StopAllIterationAndWatermark (cpp-host convertVmCallResultToFilterHeadersStatus), so Envoy's
 * FilterManager buffers such data in one buffer (handleDataIfStopAll) and hands it over as one
 * chunk when iteration continues: bytes that came with an upgrade request reach the filter as a
 * single body callback, not one per socket read.
 */
function takeQueued(q: { data: Uint8Array; eos: boolean }[]): { data: Uint8Array; eos: boolean } | null {
  if (q.length === 0) return null;
  if (q.length === 1) return q[0];
  return { data: Buffer.concat(q.map((e) => e.data)), eos: q[q.length - 1].eos };
}

type ChainEvent = { kind: "continue"; type: StreamType } | { kind: "close" } | { kind: "local"; r: LocalResponse };

export class FilterChain {
  private readonly slots: Slot[] = [];
  /** index of the decoder filter whose headers call paused iteration, or -1 */
  private reqHeadersPausedAt = -1;
  private resHeadersPausedAt = -1;
  private reqHeadersDone = false;
  private resHeadersDone = false;
  private queuedReq: { data: Uint8Array; eos: boolean }[] = [];
  private queuedRes: { data: Uint8Array; eos: boolean }[] = [];
  private inCall = 0;
  private handledLocal: LocalResponse | null = null;
  stopped = false;     // a local reply or reset ended filter processing
  private completed = false;

  /** bufferLimit: the stream's buffer limit, the connection's per_connection_buffer_limit_bytes (Envoy's FilterManager takes the connection's) */
  constructor(plugins: Plugin[], worker: number, properties: Record<string, PropertyValue>, private readonly sink: ChainSink, bufferLimit?: number) {
    for (const p of plugins) {
      const slot: Slot = { stream: null as unknown as HttpStream, reqData: null, reqEos: false, resData: null, resEos: false };
      const index = this.slots.length;
      slot.stream = p.createHttpStream({
        worker: worker % Math.max(1, p.workers.length || 1), properties,
        ...(bufferLimit !== undefined ? { bufferLimit } : {}),
        events: {
          onContinue: (type) => this.onEvent(index, { kind: "continue", type }),
          onClose: () => this.onEvent(index, { kind: "close" }),
          onLocalResponse: (r) => this.onEvent(index, { kind: "local", r }),
        },
      });
      this.slots.push(slot);
    }
  }

  get size(): number { return this.slots.length; }

  /** How often the filters cleared the route cache (header edits, clear_route_cache), summed. */
  routeCacheClears(): number {
    let n = 0;
    for (const s of this.slots) n += s.stream.routeCacheClears;
    return n;
  }

  /** events a filter raised inside a callback, applied once the callback returned */
  private readonly pendingEvents: { index: number; ev: ChainEvent }[] = [];

  /** The one channel from the host's streams to the chain: continue, close, local reply. */
  private onEvent(index: number, ev: ChainEvent): void {
    if (this.completed) return;
    if (this.inCall) { this.pendingEvents.push({ index, ev }); return; }
    this.apply(index, ev);
  }

  private apply(index: number, ev: ChainEvent): void {
    if (ev.kind === "local") this.localReply(ev.r);
    else if (ev.kind === "close") this.reset();
    else this.onContinue(index, ev.type);
  }

  /**
   * Runs one filter callback. A local reply or close the filter made inside it ends filter
   * processing as soon as it returns (null); a continue made inside it is applied after the
   * status it returned took effect (Envoy defers continueDecoding from inside a filter callback
   * to after the callback: FilterManager's "filter_call_state_" check), in a microtask.
   */
  private call<T>(slot: Slot, fn: () => T): T | null {
    void slot;
    this.inCall++;
    let r: T;
    try { r = fn(); } finally { this.inCall--; }
    if (this.inCall || this.pendingEvents.length === 0) return r;
    const events = this.pendingEvents.splice(0);
    const end = events.find((e) => e.ev.kind !== "continue");
    if (end) { this.apply(end.index, end.ev); return null; }
    queueMicrotask(() => { for (const e of events) this.apply(e.index, e.ev); });
    return r;
  }

  private localReply(r: LocalResponse): void {
    if (this.handledLocal === r || this.completed) return;
    this.handledLocal = r;
    this.stopped = true;
    this.sink.onLocalReply(r);
  }

  private reset(): void {
    if (this.completed) return;
    this.stopped = true;
    this.sink.onReset();
  }

  decodeHeaders(headers: HeaderList, eos: boolean, from = 0): void {
    let h = headers;
    for (let i = from; i < this.slots.length; i++) {
      if (this.stopped) return;
      const slot = this.slots[i];
      const st = this.call(slot, () => slot.stream.callOnRequestHeaders(h, eos));
      if (st === null) return;
      h = slot.stream.requestHeaders;
      if (st !== FilterHeadersStatus.Continue && st !== FilterHeadersStatus.ContinueAndEndStream) {
        this.reqHeadersPausedAt = i;
        this.pendingReqHeaders = { h, eos };
        return;
      }
    }
    this.reqHeadersDone = true;
    this.sink.onRequestHeaders(h, eos);
    const q = takeQueued(this.queuedReq); this.queuedReq = [];
    if (q) this.decodeData(q.data, q.eos);
  }
  private pendingReqHeaders: { h: HeaderList; eos: boolean } | null = null;
  private pendingResHeaders: { h: HeaderList; eos: boolean } | null = null;

  decodeData(data: Uint8Array, eos: boolean, from = 0): void {
    if (!this.reqHeadersDone) { this.queuedReq.push({ data, eos }); return; }
    let d = data;
    for (let i = from; i < this.slots.length; i++) {
      if (this.stopped) return;
      const slot = this.slots[i];
      const input = concat(slot.reqData, d);
      slot.reqData = null;
      const st = this.call(slot, () => slot.stream.callOnRequestBody(input, eos));
      if (st === null) return;
      if (st !== FilterDataStatus.Continue) { slot.reqData = heldByChain(st, slot.stream.requestBody); slot.reqEos = eos; return; }
      d = slot.stream.requestBody;
    }
    if (!this.stopped) this.sink.onRequestData(d, eos);
  }

  encodeHeaders(headers: HeaderList, eos: boolean, from = this.slots.length - 1): void {
    let h = headers;
    for (let i = from; i >= 0; i--) {
      if (this.stopped) return;
      const slot = this.slots[i];
      const st = this.call(slot, () => slot.stream.callOnResponseHeaders(h, eos));
      if (st === null) return;
      h = slot.stream.responseHeaders;
      if (st !== FilterHeadersStatus.Continue && st !== FilterHeadersStatus.ContinueAndEndStream) {
        this.resHeadersPausedAt = i;
        this.pendingResHeaders = { h, eos };
        return;
      }
    }
    this.resHeadersDone = true;
    this.sink.onResponseHeaders(h, eos);
    const q = takeQueued(this.queuedRes); this.queuedRes = [];
    if (q) this.encodeData(q.data, q.eos);
  }

  encodeData(data: Uint8Array, eos: boolean, from = this.slots.length - 1): void {
    if (!this.resHeadersDone) { this.queuedRes.push({ data, eos }); return; }
    let d = data;
    for (let i = from; i >= 0; i--) {
      if (this.stopped) return;
      const slot = this.slots[i];
      const input = concat(slot.resData, d);
      slot.resData = null;
      const st = this.call(slot, () => slot.stream.callOnResponseBody(input, eos));
      if (st === null) return;
      if (st !== FilterDataStatus.Continue) { slot.resData = heldByChain(st, slot.stream.responseBody); slot.resEos = eos; return; }
      d = slot.stream.responseBody;
    }
    if (!this.stopped) this.sink.onResponseData(d, eos);
  }

  /**
   * A local reply (the gateway's own, or a filter's proxy_send_local_response). As Envoy's
   * FilterManager::sendLocalReply: while no response headers have entered the encoder filters it
   * passes every encoder filter like any response (sendLocalReplyViaFilterChain, the sender
   * included); once upstream response headers are in the chain (paused in a filter, or a filter
   * replying from its own response callback) it goes straight to the client
   * (sendDirectLocalReply), so no filter sees a second set of response headers.
   */
  encodeLocalReply(headers: HeaderList, body: Uint8Array): void {
    if (this.resHeadersEntered) {
      this.stopped = true;
      this.sink.onResponseHeaders(headers, body.length === 0);
      if (body.length) this.sink.onResponseData(body, true);
      return;
    }
    this.stopped = false; // the encoder path runs even after a decoder filter stopped the request
    this.resHeadersDone = false;
    this.queuedRes = [];
    this.encodeHeaders(headers, body.length === 0);
    if (body.length) this.encodeData(body, true);
  }

  /** Upstream response headers entered the encoder filters (Envoy: responseHeaders() is set). */
  private resHeadersEntered = false;

  /** The upstream response's headers, into the encoder filters (last configured filter first). */
  encodeUpstreamHeaders(headers: HeaderList, eos: boolean): void {
    this.resHeadersEntered = true;
    this.encodeHeaders(headers, eos);
  }

  private onContinue(index: number, type: StreamType): void {
    if (this.stopped || this.completed) return;
    const slot = this.slots[index];
    if (type === StreamType.HttpRequest) {
      if (this.reqHeadersPausedAt === index && this.pendingReqHeaders) {
        const p = this.pendingReqHeaders;
        this.reqHeadersPausedAt = -1; this.pendingReqHeaders = null;
        this.decodeHeaders(slot.stream.requestHeaders ?? p.h, p.eos, index + 1);
      } else if (slot.reqData) {
        const d = slot.stream.requestBody; const eos = slot.reqEos;
        slot.reqData = null;
        this.decodeData(d, eos, index + 1);
      }
    } else if (type === StreamType.HttpResponse) {
      if (this.resHeadersPausedAt === index && this.pendingResHeaders) {
        const p = this.pendingResHeaders;
        this.resHeadersPausedAt = -1; this.pendingResHeaders = null;
        this.encodeHeaders(slot.stream.responseHeaders ?? p.h, p.eos, index - 1);
      } else if (slot.resData) {
        const d = slot.stream.responseBody; const eos = slot.resEos;
        slot.resData = null;
        this.encodeData(d, eos, index - 1);
      }
    }
  }

  /** proxy_on_done, proxy_on_log, proxy_on_delete on every filter, once. */
  complete(): void {
    if (this.completed) return;
    this.completed = true;
    this.stopped = true;
    for (const s of this.slots) {
      try { s.stream.complete(); } catch { /* a trapped VM already reported itself */ }
    }
  }
}

export { EMPTY };
