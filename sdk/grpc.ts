// gRPC calls and streams. As with HTTP callouts, Envoy delivers every callback to the caller's
// root context (proxy-wasm-cpp-host src/exports.cc grpc_call/grpc_stream: root_context()); the
// SDK routes it by token to the context that started the call and its handler. Envoy's rules (context.cc Context::grpcCall/grpcStream and
// the Grpc*ClientHandler classes): a unary call ends with exactly one of onReceive (success) or
// onClose (failure); a stream ends with onClose. `service` is a cluster name, or a serialised
// envoy.config.core.v3.GrpcService.
import {
  proxy_grpc_call, proxy_grpc_cancel, proxy_grpc_close, proxy_grpc_send, proxy_grpc_stream,
} from "./bindings";
import { addPending, calloutsExported, findPending, GRPC, Pending, removePending } from "./callouts";
import { BaseContext } from "./context";
import { WasmResult } from "./enums";
import { HeaderPair, serializePairs } from "./headers";
import { RET } from "./memory";
import { setLastResult } from "./status";
import { utf8Encode } from "./utf8";

/** Callbacks of a unary gRPC call. Read the message with grpcReceiveBuffer in onReceive. */
export abstract class GrpcCallHandler {
  onReceiveInitialMetadata(ctx: BaseContext, token: u32, numHeaders: u32): void {}
  onReceive(ctx: BaseContext, token: u32, messageSize: usize): void {}
  onReceiveTrailingMetadata(ctx: BaseContext, token: u32, numTrailers: u32): void {}
  /** status is a google.rpc.Code; the message via proxy_get_status (grpcStatusMessage()). */
  onClose(ctx: BaseContext, token: u32, status: u32): void {}
}

/** Callbacks of a gRPC stream. Send with grpcSend(token, ...); onClose ends it. */
export abstract class GrpcStreamHandler extends GrpcCallHandler {}

/** @internal See BaseContext.grpcCall. */
export function makeGrpcCall(ctx: BaseContext, cluster: string, service: string, method: string,
                             initialMetadata: HeaderPair[], message: ArrayBuffer, timeoutMs: u32,
                             handler: GrpcCallHandler): u32 {
  if (!calloutsExported("grpcCall")) { setLastResult(WasmResult.Unimplemented); return 0; }
  const c = utf8Encode(cluster);
  const s = utf8Encode(service);
  const m = utf8Encode(method);
  const md = serializePairs(initialMetadata);
  store<u32>(RET, 0);
  const r = proxy_grpc_call(changetype<usize>(c), c.byteLength, changetype<usize>(s), s.byteLength,
    changetype<usize>(m), m.byteLength, changetype<usize>(md), md.byteLength,
    changetype<usize>(message), message.byteLength, timeoutMs, RET);
  setLastResult(r);
  if (r != WasmResult.Ok) return 0;
  const token = load<u32>(RET);
  const p = new Pending(ctx);
  p.grpc = handler;
  p.unary = true;
  addPending(GRPC, token, p);
  return token;
}

/** @internal See BaseContext.grpcStream. */
export function makeGrpcStream(ctx: BaseContext, cluster: string, service: string, method: string,
                               initialMetadata: HeaderPair[], handler: GrpcStreamHandler): u32 {
  if (!calloutsExported("grpcStream")) { setLastResult(WasmResult.Unimplemented); return 0; }
  const c = utf8Encode(cluster);
  const s = utf8Encode(service);
  const m = utf8Encode(method);
  const md = serializePairs(initialMetadata);
  store<u32>(RET, 0);
  const r = proxy_grpc_stream(changetype<usize>(c), c.byteLength, changetype<usize>(s), s.byteLength,
    changetype<usize>(m), m.byteLength, changetype<usize>(md), md.byteLength, RET);
  setLastResult(r);
  if (r != WasmResult.Ok) return 0;
  const token = load<u32>(RET);
  const p = new Pending(ctx);
  p.grpc = handler;
  addPending(GRPC, token, p);
  return token;
}

/** Sends a message on a stream (endOfStream half-closes it). Valid in any callback. */
export function grpcSend(token: u32, message: ArrayBuffer, endOfStream: bool = false): WasmResult {
  const r = proxy_grpc_send(token, changetype<usize>(message), message.byteLength, endOfStream ? 1 : 0);
  setLastResult(r);
  return <WasmResult>r;
}

/** Half-closes a stream (or closes a call); onClose still arrives. Valid in any callback. */
export function grpcClose(token: u32): WasmResult {
  const r = proxy_grpc_close(token);
  setLastResult(r);
  return <WasmResult>r;
}

/** Cancels a call or stream; no further callback arrives. Valid in any callback. */
export function grpcCancel(token: u32): WasmResult {
  removePending(GRPC, token);
  const r = proxy_grpc_cancel(token);
  setLastResult(r);
  return <WasmResult>r;
}

/** @internal */
export function deliverGrpcInitialMetadata(token: u32, numHeaders: u32): void {
  const p = findPending(GRPC, token);
  if (p !== null) changetype<GrpcCallHandler>(p.grpc).onReceiveInitialMetadata(p.ctx, token, numHeaders);
}

/** @internal A unary call is over after its message (Envoy erases it: GrpcCallClientHandler::onSuccess). */
export function deliverGrpcReceive(token: u32, messageSize: usize): void {
  const p = findPending(GRPC, token);
  if (p === null) return;
  if (p.unary) removePending(GRPC, token);
  changetype<GrpcCallHandler>(p.grpc).onReceive(p.ctx, token, messageSize);
}

/** @internal */
export function deliverGrpcTrailingMetadata(token: u32, numTrailers: u32): void {
  const p = findPending(GRPC, token);
  if (p !== null) changetype<GrpcCallHandler>(p.grpc).onReceiveTrailingMetadata(p.ctx, token, numTrailers);
}

/** @internal */
export function deliverGrpcClose(token: u32, status: u32): void {
  const p = findPending(GRPC, token);
  if (p === null) return;
  removePending(GRPC, token);
  changetype<GrpcCallHandler>(p.grpc).onClose(p.ctx, token, status);
}
