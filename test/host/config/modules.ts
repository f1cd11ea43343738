// Small proxy-wasm modules for the config tests, as visible WAT text (assembled with test/support/wat.ts).
/** The least a module needs to pass Envoy's load checks: an ABI marker, memory and malloc. */
export const MINIMAL_WAT = `(module
  (memory (export "memory") 1)
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "malloc") (param i32) (result i32) i32.const 0))`;

/** AssemblyScript's default abort import, which Envoy does not register. */
export const ABORT_IMPORT_WAT = `(module
  (import "env" "abort" (func (param i32 i32 i32 i32)))
  (memory (export "memory") 1)
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "malloc") (param i32) (result i32) i32.const 0))`;
