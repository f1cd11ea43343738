// Shared queues: per-vm_id queues in the Envoy process; the VM that registered a queue gets
// onQueueReady on its root context when another VM enqueues (proxy-wasm-cpp-host
// src/shared_queue.cc).
import {
  proxy_dequeue_shared_queue, proxy_enqueue_shared_queue, proxy_register_shared_queue,
  proxy_resolve_shared_queue,
} from "./bindings";
import { WasmResult } from "./enums";
import { clearReturn, freeHost, RET, RET_PTR, RET_SIZE, takeReturnedBytes } from "./memory";
import { setLastResult } from "./status";
import { utf8Encode } from "./utf8";

/** Registers (or finds) this VM's queue `name`; its token, 0 on failure. Valid in root
 *  context callbacks (the queue belongs to the root context that registers it). */
export function registerSharedQueue(name: string): u32 {
  const n = utf8Encode(name);
  store<u32>(RET, 0);
  const r = proxy_register_shared_queue(changetype<usize>(n), n.byteLength, RET);
  setLastResult(r);
  return r == WasmResult.Ok ? load<u32>(RET) : 0;
}

/** The token of queue `name` of vm `vmId`; 0 when not found. Valid in any callback. */
export function resolveSharedQueue(vmId: string, name: string): u32 {
  const v = utf8Encode(vmId);
  const n = utf8Encode(name);
  store<u32>(RET, 0);
  const r = proxy_resolve_shared_queue(changetype<usize>(v), v.byteLength, changetype<usize>(n), n.byteLength, RET);
  setLastResult(r);
  return r == WasmResult.Ok ? load<u32>(RET) : 0;
}

/** Adds a message to the queue. Valid in any callback. */
export function enqueueSharedQueue(token: u32, data: ArrayBuffer): WasmResult {
  const r = proxy_enqueue_shared_queue(token, changetype<usize>(data), data.byteLength);
  setLastResult(r);
  return <WasmResult>r;
}

/** Takes the oldest message; null when the queue is empty (lastResult() = Empty) or unknown.
 *  Valid in any callback, typically RootContext.onQueueReady. */
export function dequeueSharedQueue(token: u32): ArrayBuffer | null {
  clearReturn();
  const r = proxy_dequeue_shared_queue(token, RET_PTR, RET_SIZE);
  setLastResult(r);
  if (r != WasmResult.Ok) { freeHost(<usize>load<u32>(RET_PTR)); return null; }
  return takeReturnedBytes();
}
