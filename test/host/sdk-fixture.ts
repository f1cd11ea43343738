// Builds the SDK test modules (test/fixtures/...) with the same compiler options as the
// add-header target of asconfig.json, into a temp directory; each module is built once per run.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import asc from "assemblyscript/asc";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const out = mkdtempSync(join(tmpdir(), "sdk-fixture-"));
const built = new Map<string, Promise<string>>();

/** Compiles `entry` (relative to the repository) and returns the .wasm path. */
export function buildFixture(entry: string, target = "add-header"): Promise<string> {
  const key = `${entry}@${target}`;
  let p = built.get(key);
  if (!p) {
    p = compile(entry, target);
    built.set(key, p);
  }
  return p;
}

async function compile(entry: string, target: string): Promise<string> {
  const outFile = join(out, entry.replace(/[\\/]/g, "_").replace(/\.ts$/, ".wasm"));
  const stderr: string[] = [];
  const { error } = await asc.main(
    [entry, "--config", "asconfig.json", "--target", target, "--outFile", outFile],
    {
      stdout: { write: () => true },
      stderr: { write: (s: string) => (stderr.push(String(s)), true) },
    } as never,
  );
  if (error) throw new Error(`building ${entry}: ${error.message}\n${stderr.join("")}`);
  return outFile;
}

export function wasmSize(path: string): number {
  return readFileSync(path).byteLength;
}
