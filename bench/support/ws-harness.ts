// Compiles the ws-harness module (index.ts) with the assemblyscript/asc API into a temp dir
// (never build/) and instantiates it with plain WebAssembly: the only import is env.abort.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { compileAs } from "./compile.ts";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");

export interface Harness {
  memory: WebAssembly.Memory;
  reset(allowRsv1: number, mask: number): void;
  alloc(size: number): number;
  scan(ptr: number, len: number): number;
  scanFrame(ptr: number, len: number): number;
  frames(): bigint;
  messages(): bigint;
  offset(): bigint;
  error(): number;
  errorOffset(): bigint;
  pendingPayload(): bigint;
  lastOpcode(): number;
  lastFin(): number;
  lastRsv(): number;
  lastMasked(): number;
  atFrameBoundary(): number;
  inFragmentedMessage(): number;
  canInject(): number;
  closeSeen(): number;
  textFrameOf(src: number, len: number): number;
  closeFrameOf(code: number, src: number, len: number): number;
  writtenSize(): number;
  benchScan(ptr: number, len: number, times: number): bigint;
  benchNoop(ptr: number, len: number, times: number): bigint;
  benchFrames(ptr: number, len: number, times: number): bigint;
  benchTouch(ptr: number, len: number, times: number): bigint;
}

export interface Compiled {
  binary: Uint8Array;
  imports: WebAssembly.ModuleImportDescriptor[];
  instantiate(): Promise<Harness>;
}

/** Compiles bench/fixtures/ws-harness/index.ts (release, stub runtime). */
export async function compileHarness(): Promise<Compiled> {
  const dir = mkdtempSync(join(tmpdir(), "ws-harness-"));
  try {
    const outFile = join(dir, "ws-harness.wasm");
    await compileAs([relative(root, join(here, "../fixtures/ws-harness/index.ts")), "--runtime", "stub", "--optimizeLevel", "3",
      "--shrinkLevel", "0", "--noAssert", "--outFile", outFile], "ws-harness");
    const binary = new Uint8Array(readFileSync(outFile));
    const module = await WebAssembly.compile(binary);
    const imports = WebAssembly.Module.imports(module);
    return {
      binary,
      imports,
      async instantiate() {
        const env = {
          abort(msg: number, file: number, line: number, col: number) {
            throw new Error(`ws-harness: abort at ${line}:${col} (message at ${msg}, file at ${file})`);
          },
        };
        const instance = await WebAssembly.instantiate(module, { env });
        return instance.exports as unknown as Harness;
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
