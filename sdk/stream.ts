// Stream control and local replies.
import {
  proxy_close_stream, proxy_continue_stream, proxy_done, proxy_send_local_response,
  proxy_set_effective_context,
} from "./bindings";
import { StreamType, WasmResult } from "./enums";
import { HeaderPair, serializePairs } from "./headers";
import { lenOf, ptrOf } from "./memory";
import { setLastResult } from "./status";
import { utf8Encode } from "./utf8";

/** Resumes a stream paused by a Stop* status. Valid in any callback whose effective context is
 *  that stream (e.g. an HttpCallHandler of the stream, or after setEffectiveContext). */
export function continueStream(type: StreamType): WasmResult {
  const r = proxy_continue_stream(<u32>type);
  setLastResult(r);
  return <WasmResult>r;
}

/** Resets the stream (HTTP) or closes the connection (Downstream/Upstream). Envoy resets an
 *  upgraded websocket without a close frame. Valid like continueStream. */
export function closeStream(type: StreamType): WasmResult {
  const r = proxy_close_stream(<u32>type);
  setLastResult(r);
  return <WasmResult>r;
}

/** Sends a local reply instead of forwarding (Envoy defers it until the callback returns:
 *  context.cc sendLocalResponse). grpcStatus -1 means none. Valid in HTTP stream callbacks,
 *  and in handlers running for that stream. Return StopIteration after calling it. */
export function sendLocalResponse(status: u32, details: string, body: ArrayBuffer | null,
                                  headers: HeaderPair[], grpcStatus: i32 = -1): WasmResult {
  const d = utf8Encode(details);
  const h = serializePairs(headers);
  const r = proxy_send_local_response(status, changetype<usize>(d), d.byteLength, ptrOf(body), lenOf(body),
    changetype<usize>(h), h.byteLength, grpcStatus);
  setLastResult(r);
  return <WasmResult>r;
}

/** sendLocalResponse with a UTF-8 text body. */
export function sendLocalResponseText(status: u32, details: string, body: string, headers: HeaderPair[]): WasmResult {
  return sendLocalResponse(status, details, utf8Encode(body), headers, -1);
}

/** Makes `contextId` the target of following stream hostcalls (a root context acting on one of
 *  its streams, e.g. from onTick). Valid in any callback; lasts until the callback returns. */
export function setEffectiveContext(contextId: u32): WasmResult {
  const r = proxy_set_effective_context(contextId);
  setLastResult(r);
  return <WasmResult>r;
}

/** Tells the host a context that returned false from onDone has finished. */
export function done(): WasmResult {
  const r = proxy_done();
  setLastResult(r);
  return <WasmResult>r;
}
