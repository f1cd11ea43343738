// Every callback a module can receive, as proxy-wasm-cpp-host looks them up (src/wasm.cc
// WasmBase::getFunctions). A filter's entry file re-exports this module:
//   export * from "../../sdk/exports";
// or, to leave out callbacks it cannot receive (smaller module; Envoy never calls a missing
// export and treats it as a no-op: src/context.cc), only the groups it needs:
//   export * from "../../sdk/exports/common";    // always
//   export * from "../../sdk/exports/http";      // HTTP filters
//   export * from "../../sdk/exports/network";   // network (TCP) filters
//   export * from "../../sdk/exports/callouts";  // modules that make HTTP or gRPC callouts
export * from "./exports/common";
export * from "./exports/http";
export * from "./exports/network";
export * from "./exports/callouts";

/** Metadata callbacks: ABI 0.2.x names them, Envoy never sends metadata to wasm filters. */
export function proxy_on_request_metadata(id: u32, n: u32): u32 { return 0; }
export function proxy_on_response_metadata(id: u32, n: u32): u32 { return 0; }
