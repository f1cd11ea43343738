// Assembles the WebAssembly text fixtures (test/fixtures/wat/*.wat, or inline text) with wabt.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import wabtInit from "wabt";

const watDir = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "wat");
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

export async function fixture(file: string): Promise<Uint8Array> {
  return assemble(readFileSync(join(watDir, file), "utf8"), file);
}

/** Request headers a client sends, as Envoy hands them to the filter. */
export function get(path: string): [string, string][] {
  return [[":method", "GET"], [":path", path], [":authority", "example.com"], [":scheme", "http"]];
}
