// The add-header modules compared: ours (build/add-header.wasm), two peer SDKs each installed in
// its own folder and built with its own compiler, and the hand-written floor (bench/floor.wat).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { buildFilters } from "../envoy-test/build.ts";
import { assembleFile } from "./support/wat.ts";

export interface AddHeaderModule {
  name: string;
  wasm: Uint8Array | null;          // null: could not be built (see `why`)
  why?: string;
  configuration: string;            // each module's own way of saying "hello: world!"
}

const PEERS = [
  { name: "proxy-runtime 0.1.8", dir: "bench/peers/proxy-runtime" },
  { name: "gcore 1.2.3", dir: "bench/peers/gcore" },
];

function run(cmd: string, args: string[], cwd: string): string | null {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (r.status === 0) return null;
  return `${cmd} ${args.join(" ")} in ${cwd} failed (${r.error?.message ?? `exit ${r.status}`}): ${(r.stderr || r.stdout).trim().split("\n").slice(-3).join(" / ")}`;
}

/** Installs (npm ci, else npm install) and builds a peer when its output is missing. */
function buildPeer(dir: string): { wasm: Uint8Array | null; why?: string } {
  const out = join(dir, "build/add-header.wasm");
  if (!existsSync(out)) {
    if (!existsSync(join(dir, "node_modules"))) {
      const ci = run("npm", ["ci", "--no-audit", "--no-fund"], dir);
      if (ci && run("npm", ["install", "--no-audit", "--no-fund"], dir)) return { wasm: null, why: ci };
    }
    const why = run("npm", ["run", "build"], dir);
    if (why) return { wasm: null, why };
  }
  return { wasm: new Uint8Array(readFileSync(out)) };
}

export async function floorModule(): Promise<Uint8Array> {
  return assembleFile("bench/floor.wat");
}

/** Builds our filters (build/*.wasm) once per run, so the bench measures the current sources.
 *  When the sources do not compile (others may be mid-change), says so and returns the error:
 *  the run then measures the modules already in build/ and the results file records why. */
export async function buildOurs(): Promise<string | null> {
  const names = ["add-header", "ws-router", "conn-accounting", "drain-signal"];
  try {
    await buildFilters(names);
    return null;
  } catch (e) {
    const missing = names.filter((n) => !existsSync(`build/${n}.wasm`));
    if (missing.length) throw new Error(`bench: the filters do not build (${(e as Error).message}) and build/ lacks ${missing.join(", ")}`);
    const why = `the filters do not build from the current sources (${(e as Error).message.split("\n").slice(0, 3).join(" ")}); measuring the modules already in build/`;
    console.log(`WARNING: ${why}`);
    return why;
  }
}

export async function addHeaderModules(): Promise<AddHeaderModule[]> {
  const mods: AddHeaderModule[] = [{
    name: "ours", wasm: new Uint8Array(readFileSync("build/add-header.wasm")),
    configuration: JSON.stringify({ name: "hello", value: "world!" }),
  }];
  for (const p of PEERS) {
    const b = buildPeer(p.dir);
    if (!b.wasm) console.log(`peer ${p.name}: not built, skipped: ${b.why}`);
    mods.push({ name: p.name, wasm: b.wasm, why: b.why, configuration: "world!" });
  }
  mods.push({ name: "floor", wasm: await floorModule(), configuration: "" });
  return mods;
}
