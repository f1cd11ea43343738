// The one WebAssembly text helper of the tests and the bench: wabt, with the features the
// hand-written modules use. Tests reach it through test/support/wat.ts.
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import wabtInit from "wabt";

let wabt: Awaited<ReturnType<typeof wabtInit>> | null = null;

export async function assemble(source: string, name = "inline.wat"): Promise<Uint8Array> {
  wabt ??= await wabtInit();
  const mod = wabt.parseWat(name, source, { mutable_globals: true, sign_extension: true, bulk_memory: true });
  try {
    return new Uint8Array(mod.toBinary({}).buffer);
  } finally {
    mod.destroy();
  }
}

/** Assembles a .wat file (path absolute or relative to the working directory). */
export async function assembleFile(path: string): Promise<Uint8Array> {
  return assemble(readFileSync(path, "utf8"), basename(path));
}
