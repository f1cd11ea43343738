// The one AssemblyScript compile helper of the tests and the bench: assemblyscript/asc into a
// temp directory (never build/), compiler output kept for the error. Tests reach it through
// test/support/compile.ts.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import asc from "assemblyscript/asc";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const out = mkdtempSync(join(tmpdir(), "asc-"));
const built = new Map<string, Promise<string>>();

/** Runs asc with `args` (paths relative to the repository); throws `what` with asc's output. */
export async function compileAs(args: string[], what: string): Promise<void> {
  const stderr: string[] = [];
  const { error } = await asc.main(args, {
    stdout: { write: () => true },
    stderr: { write: (s: string) => (stderr.push(String(s)), true) },
  } as never);
  if (error) throw new Error(`${what}: ${error.message}\n${stderr.join("")}`);
}

/** Compiles `entry` (relative to the repository) with the compiler options of asconfig.json's
 *  `target`, once per process, and returns the .wasm path. */
export function buildFixture(entry: string, target = "add-header"): Promise<string> {
  const key = `${entry}@${target}`;
  let p = built.get(key);
  if (!p) {
    const outFile = join(out, entry.replace(/[\\/]/g, "_").replace(/\.ts$/, ".wasm"));
    p = compileAs([entry, "--config", "asconfig.json", "--target", target, "--outFile", outFile], `building ${entry}`).then(() => outFile);
    built.set(key, p);
  }
  return p;
}

export function wasmSize(path: string): number {
  return readFileSync(path).byteLength;
}
