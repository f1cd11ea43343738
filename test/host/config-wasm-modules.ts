// Small proxy-wasm modules for the config tests, assembled from visible WAT text with wabt.
import wabtInit from "wabt";

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

export async function wat(text: string): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const mod = wabt.parseWat("fixture.wat", text);
  try {
    return new Uint8Array(mod.toBinary({}).buffer);
  } finally {
    mod.destroy();
  }
}
