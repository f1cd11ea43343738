// The module's exports, as proxy-wasm-cpp-host looks them up (src/wasm.cc WasmBase::getFunctions;
// arities in include/proxy-wasm/wasm.h). A filter's entry file re-exports this module:
//   export * from "../../sdk/exports";
// Each callback is one line into the dispatcher.
import { CalloutEvent as E } from "./callouts";
import * as d from "./dispatcher";
import { Op } from "./dispatcher";
import { hostAlloc } from "./memory";
// Routes AssemblyScript's abort/trace/seed (asconfig.json "use"); imported so it is compiled.
import "./runtime/abort";

/** ABI marker: Envoy picks the ABI by this export's name (bytecode_util.cc getAbiVersion). */
export function proxy_abi_version_0_2_1(): void {}

/** The host's allocator for values it hands to us (looked up first; then proxy_on_memory_allocate). */
export function malloc(size: usize): usize { return hostAlloc(size); }
export function proxy_on_memory_allocate(size: usize): usize { return hostAlloc(size); }

export function proxy_on_context_create(id: u32, parentId: u32): void { d.onContextCreate(id, parentId); }
export function proxy_on_vm_start(id: u32, size: u32): u32 { return d.onCallback(Op.VmStart, id, size, 0); }
export function proxy_validate_configuration(id: u32, size: u32): u32 { return d.onCallback(Op.ValidateConfiguration, id, size, 0); }
export function proxy_on_configure(id: u32, size: u32): u32 { return d.onCallback(Op.Configure, id, size, 0); }
export function proxy_on_tick(id: u32): void { d.onCallback(Op.Tick, id, 0, 0); }
export function proxy_on_queue_ready(id: u32, token: u32): void { d.onCallback(Op.QueueReady, id, token, 0); }
export function proxy_on_foreign_function(id: u32, functionId: u32, size: u32): void { d.onCallback(Op.ForeignFunction, id, functionId, size); }

export function proxy_on_request_headers(id: u32, n: u32, eos: u32): u32 { return d.onCallback(Op.RequestHeaders, id, n, eos); }
export function proxy_on_request_body(id: u32, size: u32, eos: u32): u32 { return d.onCallback(Op.RequestBody, id, size, eos); }
export function proxy_on_request_trailers(id: u32, n: u32): u32 { return d.onCallback(Op.RequestTrailers, id, n, 0); }
export function proxy_on_request_metadata(id: u32, n: u32): u32 { return 0; }
export function proxy_on_response_headers(id: u32, n: u32, eos: u32): u32 { return d.onCallback(Op.ResponseHeaders, id, n, eos); }
export function proxy_on_response_body(id: u32, size: u32, eos: u32): u32 { return d.onCallback(Op.ResponseBody, id, size, eos); }
export function proxy_on_response_trailers(id: u32, n: u32): u32 { return d.onCallback(Op.ResponseTrailers, id, n, 0); }
export function proxy_on_response_metadata(id: u32, n: u32): u32 { return 0; }

export function proxy_on_new_connection(id: u32): u32 { return d.onCallback(Op.NewConnection, id, 0, 0); }
export function proxy_on_downstream_data(id: u32, size: u32, eos: u32): u32 { return d.onCallback(Op.DownstreamData, id, size, eos); }
export function proxy_on_upstream_data(id: u32, size: u32, eos: u32): u32 { return d.onCallback(Op.UpstreamData, id, size, eos); }
export function proxy_on_downstream_connection_close(id: u32, peer: u32): void { d.onCallback(Op.DownstreamClose, id, peer, 0); }
export function proxy_on_upstream_connection_close(id: u32, peer: u32): void { d.onCallback(Op.UpstreamClose, id, peer, 0); }

export function proxy_on_http_call_response(id: u32, token: u32, headers: u32, bodySize: u32, trailers: u32): void { d.onCallout(E.HttpResponse, token, headers, bodySize, trailers); }
export function proxy_on_grpc_receive_initial_metadata(id: u32, token: u32, n: u32): void { d.onCallout(E.GrpcInitialMetadata, token, n, 0, 0); }
export function proxy_on_grpc_receive(id: u32, token: u32, size: u32): void { d.onCallout(E.GrpcReceive, token, size, 0, 0); }
export function proxy_on_grpc_receive_trailing_metadata(id: u32, token: u32, n: u32): void { d.onCallout(E.GrpcTrailingMetadata, token, n, 0, 0); }
export function proxy_on_grpc_close(id: u32, token: u32, status: u32): void { d.onCallout(E.GrpcClose, token, status, 0, 0); }

export function proxy_on_log(id: u32): void { d.onCallback(Op.Log, id, 0, 0); }
export function proxy_on_done(id: u32): u32 { return d.onCallback(Op.Done, id, 0, 0); }
export function proxy_on_delete(id: u32): void { d.onCallback(Op.Delete, id, 0, 0); }
