// The proxy-wasm ABI as Envoy registers it: one definition, used by the host (to link and to
// refuse modules), by the import check on build/*.wasm, and by the test that sdk/bindings.ts
// declares every ABI 0.2.1 host function.
//
// Source: proxy-wasm-cpp-host @ 52a0291 (Jul 2026), include/proxy-wasm/exports.h
// (FOR_ALL_HOST_FUNCTIONS, FOR_ALL_HOST_FUNCTIONS_ABI_SPECIFIC, FOR_ALL_WASI_FUNCTIONS and the
// declarations' Word/int64_t/uint64_t parameter types), src/wasm.cc (WasmBase::registerCallbacks,
// WasmBase::getFunctions), include/proxy-wasm/wasm.h (module callback arities); enum values from
// the proxy-wasm spec, abi-versions/v0.2.1/README.md ("Types").

/** A signature written as params ":" results, one letter per value: i = i32, I = i64. */
export type Sig = string;

export type AbiVersion = "0_1_0" | "0_2_0" | "0_2_1";
export const ABI_MARKERS: Record<string, AbiVersion> = {
  proxy_abi_version_0_1_0: "0_1_0",
  proxy_abi_version_0_2_0: "0_2_0",
  proxy_abi_version_0_2_1: "0_2_1",
};

const w = (n: number): string => "i".repeat(n);

/** env.proxy_* functions registered for every ABI version (FOR_ALL_HOST_FUNCTIONS). */
export const HOST_FUNCTIONS_COMMON: Record<string, Sig> = {
  proxy_log: `${w(3)}:i`,
  proxy_get_status: `${w(3)}:i`,
  proxy_set_property: `${w(4)}:i`,
  proxy_get_property: `${w(4)}:i`,
  proxy_send_local_response: `${w(8)}:i`,
  proxy_get_shared_data: `${w(5)}:i`,
  proxy_set_shared_data: `${w(5)}:i`,
  proxy_register_shared_queue: `${w(3)}:i`,
  proxy_resolve_shared_queue: `${w(5)}:i`,
  proxy_dequeue_shared_queue: `${w(3)}:i`,
  proxy_enqueue_shared_queue: `${w(3)}:i`,
  proxy_get_header_map_value: `${w(5)}:i`,
  proxy_add_header_map_value: `${w(5)}:i`,
  proxy_replace_header_map_value: `${w(5)}:i`,
  proxy_remove_header_map_value: `${w(3)}:i`,
  proxy_get_header_map_pairs: `${w(3)}:i`,
  proxy_set_header_map_pairs: `${w(3)}:i`,
  proxy_get_header_map_size: `${w(2)}:i`,
  proxy_get_buffer_status: `${w(3)}:i`,
  proxy_get_buffer_bytes: `${w(5)}:i`,
  proxy_set_buffer_bytes: `${w(5)}:i`,
  proxy_http_call: `${w(10)}:i`,
  proxy_grpc_call: `${w(12)}:i`,
  proxy_grpc_stream: `${w(9)}:i`,
  proxy_grpc_close: `${w(1)}:i`,
  proxy_grpc_cancel: `${w(1)}:i`,
  proxy_grpc_send: `${w(4)}:i`,
  proxy_set_tick_period_milliseconds: `${w(1)}:i`,
  proxy_get_current_time_nanoseconds: `${w(1)}:i`,
  proxy_define_metric: `${w(4)}:i`,
  proxy_increment_metric: "iI:i",
  proxy_record_metric: "iI:i",
  proxy_get_metric: `${w(2)}:i`,
  proxy_set_effective_context: `${w(1)}:i`,
  proxy_done: ":i",
  proxy_call_foreign_function: `${w(6)}:i`,
};

/** env.proxy_* functions registered only for one ABI version (WasmBase::registerCallbacks). */
export const HOST_FUNCTIONS_BY_ABI: Record<AbiVersion, Record<string, Sig>> = {
  "0_1_0": {
    proxy_get_configuration: `${w(2)}:i`,
    proxy_continue_request: ":i",
    proxy_continue_response: ":i",
    proxy_clear_route_cache: ":i",
  },
  "0_2_0": { proxy_continue_stream: "i:i", proxy_close_stream: "i:i" },
  "0_2_1": { proxy_continue_stream: "i:i", proxy_close_stream: "i:i", proxy_get_log_level: "i:i" },
};

/** Other env functions Envoy registers for every module. */
export const ENV_EXTRAS: Record<string, Sig> = {
  pthread_equal: "ii:i",
  emscripten_notify_memory_growth: "i:",
};

/** WASI functions, registered under both wasi_unstable and wasi_snapshot_preview1. */
export const WASI_FUNCTIONS: Record<string, Sig> = {
  fd_write: "iiii:i",
  fd_read: "iiii:i",
  fd_seek: "iIii:i",
  fd_close: "i:i",
  fd_fdstat_get: "ii:i",
  fd_fdstat_set_flags: "ii:i",
  fd_fdstat_set_rights: "iII:i",
  environ_get: "ii:i",
  environ_sizes_get: "ii:i",
  args_get: "ii:i",
  args_sizes_get: "ii:i",
  clock_time_get: "iIi:i",
  clock_res_get: "ii:i",
  fd_advise: "iIIi:i",
  fd_allocate: "iII:i",
  fd_datasync: "i:i",
  fd_filestat_set_size: "iI:i",
  fd_filestat_set_times: "iIIi:i",
  fd_pread: "iiiIi:i",
  fd_pwrite: "iiiIi:i",
  fd_readdir: "iiiIi:i",
  fd_renumber: "ii:i",
  fd_sync: "i:i",
  fd_tell: "ii:i",
  path_create_directory: "iii:i",
  path_filestat_set_times: "iiiiIIi:i",
  path_link: "iiiiii:i",
  path_readlink: "iiiiii:i",
  path_remove_directory: "iii:i",
  path_rename: "iiiiii:i",
  path_symlink: "iiii:i",
  path_unlink_file: "iii:i",
  sock_accept: "iii:i",
  sock_recv: "iiiiii:i",
  sock_send: "iiiii:i",
  sock_shutdown: "ii:i",
  random_get: "ii:i",
  sched_yield: ":i",
  poll_oneoff: "iiii:i",
  proc_exit: "i:",
  path_open: "iiiiiIIii:i",
  fd_prestat_get: "ii:i",
  fd_prestat_dir_name: "iii:i",
  path_filestat_get: "iiiii:i",
  fd_filestat_get: "ii:i",
};
export const WASI_MODULES = ["wasi_unstable", "wasi_snapshot_preview1"] as const;

/** Every import a module of this ABI version may have: module -> name -> signature. */
export function registeredImports(abi: AbiVersion): Map<string, Map<string, Sig>> {
  const env = new Map<string, Sig>(Object.entries({ ...ENV_EXTRAS, ...HOST_FUNCTIONS_COMMON, ...HOST_FUNCTIONS_BY_ABI[abi] }));
  const wasi = new Map<string, Sig>(Object.entries(WASI_FUNCTIONS));
  return new Map([["env", env], ...WASI_MODULES.map((m) => [m, wasi] as [string, Map<string, Sig>])]);
}

/** The 39 host functions of ABI 0.2.1 (sdk/bindings.ts must declare each). */
export const HOST_FUNCTIONS_0_2_1: Record<string, Sig> = { ...HOST_FUNCTIONS_COMMON, ...HOST_FUNCTIONS_BY_ABI["0_2_1"] };

/**
 * Module exports the host looks up (WasmBase::getFunctions; arities from wasm.h). A missing one
 * is simply never called. proxy_on_request/response_headers take 3 args from ABI 0.2.0 on.
 */
export const MODULE_CALLBACKS: Record<string, Sig> = {
  _initialize: ":",
  main: "ii:i",
  __main_void: ":i",
  _start: ":",
  malloc: "i:i",
  proxy_on_memory_allocate: "i:i",
  proxy_validate_configuration: "ii:i",
  proxy_on_vm_start: "ii:i",
  proxy_on_configure: "ii:i",
  proxy_on_tick: "i:",
  proxy_on_context_create: "ii:",
  proxy_on_new_connection: "i:i",
  proxy_on_downstream_data: "iii:i",
  proxy_on_upstream_data: "iii:i",
  proxy_on_downstream_connection_close: "ii:",
  proxy_on_upstream_connection_close: "ii:",
  proxy_on_request_headers: "iii:i",
  proxy_on_request_body: "iii:i",
  proxy_on_request_trailers: "ii:i",
  proxy_on_request_metadata: "ii:i",
  proxy_on_response_headers: "iii:i",
  proxy_on_response_body: "iii:i",
  proxy_on_response_trailers: "ii:i",
  proxy_on_response_metadata: "ii:i",
  proxy_on_http_call_response: "iiiii:",
  proxy_on_grpc_receive: "iii:",
  proxy_on_grpc_close: "iii:",
  proxy_on_grpc_receive_initial_metadata: "iii:",
  proxy_on_grpc_receive_trailing_metadata: "iii:",
  proxy_on_queue_ready: "ii:",
  proxy_on_foreign_function: "iii:",
  proxy_on_done: "i:i",
  proxy_on_log: "i:",
  proxy_on_delete: "i:",
};

// Enums (spec v0.2.1 "Types"; header/data statuses from Envoy's filter API as the SDKs use them).
export enum WasmResult {
  Ok = 0, NotFound = 1, BadArgument = 2, SerializationFailure = 3, ParseFailure = 4,
  BadExpression = 5, InvalidMemoryAccess = 6, Empty = 7, CasMismatch = 8, ResultMismatch = 9,
  InternalFailure = 10, BrokenConnection = 11, Unimplemented = 12,
}
export enum LogLevel { Trace = 0, Debug = 1, Info = 2, Warn = 3, Error = 4, Critical = 5 }
export enum BufferType {
  HttpRequestBody = 0, HttpResponseBody = 1, DownstreamData = 2, UpstreamData = 3,
  HttpCallResponseBody = 4, GrpcReceiveBuffer = 5, VmConfiguration = 6, PluginConfiguration = 7,
  CallData = 8,
}
export enum MapType {
  HttpRequestHeaders = 0, HttpRequestTrailers = 1, HttpResponseHeaders = 2, HttpResponseTrailers = 3,
  GrpcReceiveInitialMetadata = 4, GrpcReceiveTrailingMetadata = 5, HttpCallResponseHeaders = 6,
  HttpCallResponseTrailers = 7,
}
export enum StreamType { HttpRequest = 0, HttpResponse = 1, Downstream = 2, Upstream = 3 }
export enum PeerType { Unknown = 0, Local = 1, Remote = 2 }
export enum MetricType { Counter = 0, Gauge = 1, Histogram = 2 }
export enum FilterHeadersStatus {
  Continue = 0, StopIteration = 1, ContinueAndEndStream = 2, StopAllIterationAndBuffer = 3,
  StopAllIterationAndWatermark = 4,
}
export enum FilterDataStatus {
  Continue = 0, StopIterationAndBuffer = 1, StopIterationAndWatermark = 2, StopIterationNoBuffer = 3,
}
export enum FilterTrailersStatus { Continue = 0, StopIteration = 1 }
export enum FilterStatus { Continue = 0, StopIteration = 1 }
