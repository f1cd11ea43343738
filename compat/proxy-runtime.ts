// `import { RootContext, Context, ... } from "proxy-wasm-as/compat/proxy-runtime"`:
// @solo-io/proxy-runtime's names over this SDK (sdk/compat/proxy-runtime.ts).
export * from "../sdk/compat/proxy-runtime";
