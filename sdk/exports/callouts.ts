// Callout answers: HTTP callouts and gRPC calls/streams. Envoy delivers them to the root context
// (proxy-wasm-cpp-host src/exports.cc); the token picks the context and handler (callouts.ts).
// A module that makes callouts must export these; the SDK refuses a callout otherwise
// (calloutsExported below), since Envoy would drop the answer without a word.
import { CalloutEvent as E, markCalloutsExported } from "../callouts";
import * as d from "../dispatcher";

markCalloutsExported();

export function proxy_on_http_call_response(id: u32, token: u32, headers: u32, bodySize: u32, trailers: u32): void { d.onCallout(E.HttpResponse, token, headers, bodySize, trailers); }
export function proxy_on_grpc_receive_initial_metadata(id: u32, token: u32, n: u32): void { d.onCallout(E.GrpcInitialMetadata, token, n, 0, 0); }
export function proxy_on_grpc_receive(id: u32, token: u32, size: u32): void { d.onCallout(E.GrpcReceive, token, size, 0, 0); }
export function proxy_on_grpc_receive_trailing_metadata(id: u32, token: u32, n: u32): void { d.onCallout(E.GrpcTrailingMetadata, token, n, 0, 0); }
export function proxy_on_grpc_close(id: u32, token: u32, status: u32): void { d.onCallout(E.GrpcClose, token, status, 0, 0); }
