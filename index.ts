// The package's AssemblyScript entry: `import { RootContext, ... } from "proxy-wasm-as"`.
// asc resolves a package import to node_modules/<package>/<path>.ts (it has no "exports" map), so
// each public AssemblyScript path of the package is a file at the package root.
export * from "./sdk/index";
