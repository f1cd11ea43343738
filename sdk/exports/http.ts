// HTTP stream callbacks (envoy.filters.http.wasm). Metadata callbacks are not exported: Envoy
// treats a missing export as Continue (proxy-wasm-cpp-host src/context.cc, e.g.
// ContextBase::onRequestHeaders returns Continue when the function is absent).
import * as d from "../dispatcher";
import { HttpOp } from "../dispatcher";

export function proxy_on_request_headers(id: u32, n: u32, eos: u32): u32 { return d.onHttp(HttpOp.RequestHeaders, id, n, eos); }
export function proxy_on_request_body(id: u32, size: u32, eos: u32): u32 { return d.onHttp(HttpOp.RequestBody, id, size, eos); }
export function proxy_on_request_trailers(id: u32, n: u32): u32 { return d.onHttp(HttpOp.RequestTrailers, id, n, 0); }
export function proxy_on_response_headers(id: u32, n: u32, eos: u32): u32 { return d.onHttp(HttpOp.ResponseHeaders, id, n, eos); }
export function proxy_on_response_body(id: u32, size: u32, eos: u32): u32 { return d.onHttp(HttpOp.ResponseBody, id, size, eos); }
export function proxy_on_response_trailers(id: u32, n: u32): u32 { return d.onHttp(HttpOp.ResponseTrailers, id, n, 0); }
