// HTTP callouts. Envoy attaches every callout to the ROOT context of the caller
// (proxy-wasm-cpp-host src/exports.cc http_call: contextOrEffectiveContext()->root_context()), so
// proxy_on_http_call_response always names the root. The SDK maps token -> (context that made
// the call, handler), so the handler runs for the stream (or root) that asked. When that stream
// is deleted first, its entries are dropped and the late response is ignored.
import { proxy_http_call } from "./bindings";
import { addPending, calloutsExported, findPending, HTTP, Pending, removePending } from "./callouts";
import { BaseContext } from "./context";
import { WasmResult } from "./enums";
import { HeaderPair, serializePairs } from "./headers";
import { lenOf, ptrOf, RET } from "./memory";
import { setLastResult } from "./status";
import { utf8Encode } from "./utf8";

/** Receives one HTTP callout response. Read it with httpCallResponseHeaders / httpCallResponseBody
 *  / httpCallResponseTrailers inside onResponse. numHeaders = 0 and bodySize = 0 when the call
 *  failed (timeout, reset, unknown cluster): Envoy reports failures that way (onHttpCallFailure). */
export abstract class HttpCallHandler {
  abstract onResponse(ctx: BaseContext, token: u32, numHeaders: u32, bodySize: usize, numTrailers: u32): void;
}

/** @internal See BaseContext.httpCall. */
export function makeHttpCall(ctx: BaseContext, cluster: string, headers: HeaderPair[], body: ArrayBuffer | null,
                             trailers: HeaderPair[], timeoutMs: u32, handler: HttpCallHandler): u32 {
  if (!calloutsExported("httpCall")) { setLastResult(WasmResult.Unimplemented); return 0; }
  const c = utf8Encode(cluster);
  const h = serializePairs(headers);
  const t = serializePairs(trailers);
  store<u32>(RET, 0);
  const r = proxy_http_call(changetype<usize>(c), c.byteLength, changetype<usize>(h), h.byteLength,
    ptrOf(body), lenOf(body), changetype<usize>(t), t.byteLength, timeoutMs, RET);
  setLastResult(r);
  if (r != WasmResult.Ok) return 0;
  const token = load<u32>(RET);
  const p = new Pending(ctx);
  p.http = handler;
  addPending(HTTP, token, p);
  return token;
}

/** @internal Dispatches proxy_on_http_call_response; unknown tokens are ignored. */
export function deliverHttpCallResponse(token: u32, numHeaders: u32, bodySize: usize, numTrailers: u32): void {
  const p = findPending(HTTP, token);
  if (p === null) return;
  removePending(HTTP, token);
  changetype<HttpCallHandler>(p.http).onResponse(p.ctx, token, numHeaders, bodySize, numTrailers);
}
