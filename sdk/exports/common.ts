// Exports every module needs: the ABI marker, the allocators, context creation, the root
// callbacks and the end of any context (log, done, delete). Lookup as in proxy-wasm-cpp-host
// src/wasm.cc WasmBase::getFunctions; arities in include/proxy-wasm/wasm.h.
import * as d from "../dispatcher";
import { EndOp, RootOp } from "../dispatcher";
import { hostAlloc } from "../memory";
// Routes AssemblyScript's abort/trace/seed (asconfig.json "use"); imported so it is compiled.
import "../runtime/abort";

/** ABI marker: Envoy picks the ABI by this export's name (bytecode_util.cc getAbiVersion). */
export function proxy_abi_version_0_2_1(): void {}

/** The host's allocator for values it hands to us (looked up first; then proxy_on_memory_allocate). */
export function malloc(size: usize): usize { return hostAlloc(size); }
export function proxy_on_memory_allocate(size: usize): usize { return hostAlloc(size); }

export function proxy_on_context_create(id: u32, parentId: u32): void { d.onContextCreate(id, parentId); }
export function proxy_on_vm_start(id: u32, size: u32): u32 { return d.onRoot(RootOp.VmStart, id, size, 0); }
export function proxy_validate_configuration(id: u32, size: u32): u32 { return d.onRoot(RootOp.ValidateConfiguration, id, size, 0); }
export function proxy_on_configure(id: u32, size: u32): u32 { return d.onRoot(RootOp.Configure, id, size, 0); }
export function proxy_on_tick(id: u32): void { d.onRoot(RootOp.Tick, id, 0, 0); }
export function proxy_on_queue_ready(id: u32, token: u32): void { d.onRoot(RootOp.QueueReady, id, token, 0); }
export function proxy_on_foreign_function(id: u32, functionId: u32, size: u32): void { d.onRoot(RootOp.ForeignFunction, id, functionId, size); }

export function proxy_on_log(id: u32): void { d.onEnd(EndOp.Log, id); }
export function proxy_on_done(id: u32): u32 { return d.onEnd(EndOp.Done, id); }
export function proxy_on_delete(id: u32): void { d.onEnd(EndOp.Delete, id); }
