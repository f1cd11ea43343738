// Assembling WebAssembly text (test/fixtures/wat/*.wat, or inline text): the helper the bench uses too.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { assembleFile } from "../../bench/support/wat.ts";

export { assemble, assembleFile } from "../../bench/support/wat.ts";

const watDir = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "wat");

/** Assembles test/fixtures/wat/<file>. */
export async function fixture(file: string): Promise<Uint8Array> {
  return assembleFile(join(watDir, file));
}
