// `export * from "proxy-wasm-as/exports"` in a filter's entry file: every ABI callback
// (proxy_on_*, malloc, proxy_abi_version_0_2_1). Smaller groups: proxy-wasm-as/sdk/exports/common,
// .../http, .../network, .../callouts (sdk/exports.ts).
export * from "./sdk/exports";
