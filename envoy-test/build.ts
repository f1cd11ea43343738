// Builds filters with the SDK's compiler settings (minimal runtime, _initialize as start, abort /
// trace / seed routed to sdk/runtime/abort.ts).
//   buildFilters(names):  this repository's asconfig.json targets, filters/<target>/index.ts -> outFile
//   buildProject(root):   a filter project's filters/<name>/index.ts -> build/<name>.wasm
//   buildEntry(entry, o): any entry file -> o
// Usage: tsx envoy-test/build.ts [target ...]   (no argument: all targets whose entry exists)
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import asc from "assemblyscript/asc";

/** The package root: the parent of envoy-test/ in the repository, of dist/ in the installed package. */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const root = PACKAGE_ROOT;

async function compile(args: string[], baseDir: string, what: string): Promise<void> {
  const stderr: string[] = [];
  const { error } = await asc.main([...args, "--baseDir", baseDir], {
    stdout: { write: () => true } as never,
    stderr: { write: (s: string) => (stderr.push(String(s)), true) } as never,
  } as never);
  const text = stderr.join("");
  if (error) throw new Error(`build: ${what} failed:\n${text}`);
  // The SDK compiles without warnings; a warning here is the filter's: shown, not fatal. asc's
  // INFO diagnostics and converge notes are left out. Diagnostics are separated by blank lines.
  const warnings = text.split(/\n\s*\n/).filter((b) => /^\s*(\x1b\[[0-9;]*m)?WARNING/.test(b));
  if (warnings.length) process.stderr.write(warnings.join("\n\n") + "\n\n");
}

export async function buildFilters(names?: string[]): Promise<string[]> {
  const config = JSON.parse(readFileSync(join(root, "asconfig.json"), "utf8")) as {
    targets: Record<string, { outFile: string }>;
  };
  const targets = names && names.length ? names : Object.keys(config.targets);
  const built: string[] = [];
  for (const name of targets) {
    const target = config.targets[name];
    if (!target) throw new Error(`build: no target "${name}" in asconfig.json (targets: ${Object.keys(config.targets).join(", ")})`);
    const entry = join("filters", name, "index.ts");
    if (!existsSync(join(root, entry))) {
      if (names && names.length) throw new Error(`build: ${entry} does not exist`);
      console.log(`build: ${name}: skipped (${entry} not written yet)`);
      continue;
    }
    mkdirSync(join(root, dirname(target.outFile)), { recursive: true });
    await compile([entry, "--config", "asconfig.json", "--target", name], root, name);
    built.push(target.outFile);
    console.log(`build: ${target.outFile}`);
  }
  return built;
}

export interface BuildOptions {
  /** keep the name section (function names in a trap's backtrace), no optimisation */
  debug?: boolean;
  /** the project directory (default: the working directory) */
  root?: string;
  log?: (line: string) => void;
}

/**
 * Compiler arguments for `entry` in project `projectRoot`. A project asconfig.json is used when it
 * has the target (the preset's "release"/"debug", or this repository's per-filter targets);
 * otherwise the settings are given on the command line. The abort/trace/seed redirects name the
 * SDK file by the path asc gives it: `~lib/proxy-wasm-as/...` from a dependency, `sdk/...` here.
 */
function compilerArgs(projectRoot: string, target: string | null, debug: boolean): string[] {
  const configPath = join(projectRoot, "asconfig.json");
  if (existsSync(configPath)) {
    const cfg = JSON.parse(readFileSync(configPath, "utf8")) as { extends?: string; targets?: Record<string, unknown> };
    if (target && cfg.targets?.[target]) return ["--config", "asconfig.json", "--target", target, ...(debug ? ["--debug", "-O0"] : [])];
    if (cfg.extends) return ["--config", "asconfig.json", "--target", debug ? "debug" : "release"];
  }
  const sdk = resolve(projectRoot) === root ? "sdk" : "~lib/proxy-wasm-as/sdk";
  return [
    "--runtime", "minimal", "--exportStart", "_initialize", "--converge",
    "--use", `abort=${sdk}/runtime/abort/abort`, "--use", `trace=${sdk}/runtime/abort/trace`, "--use", `seed=${sdk}/runtime/abort/seed`,
    ...(debug ? ["--debug", "-O0"] : ["-O3"]),
  ];
}

/** Every filters/<name>/index.ts of a project -> build/<name>.wasm; returns the paths written. */
export async function buildProject(opts: BuildOptions = {}): Promise<string[]> {
  const projectRoot = resolve(opts.root ?? process.cwd());
  const log = opts.log ?? ((l: string) => console.log(l));
  const dir = join(projectRoot, "filters");
  const names = existsSync(dir) ? readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, "index.ts"))).map((d) => d.name).sort() : [];
  if (!names.length) throw new Error(`build: no filters/<name>/index.ts under ${projectRoot} (create one with: proxy-wasm-as new NAME)`);
  const built: string[] = [];
  for (const name of names) {
    const out = `build/${name}.wasm`;
    await buildEntry(`filters/${name}/index.ts`, out, { ...opts, root: projectRoot, log: () => {} }, name);
    built.push(out);
    log(`build: ${out}${opts.debug ? " (debug: name section kept)" : ""}`);
  }
  return built;
}

/** One entry file -> out (both relative to the project root, or absolute). */
export async function buildEntry(entry: string, out: string, opts: BuildOptions = {}, target: string | null = null): Promise<string> {
  const projectRoot = resolve(opts.root ?? process.cwd());
  const entryPath = resolve(projectRoot, entry);
  if (!existsSync(entryPath)) throw new Error(`build: ${entry} does not exist`);
  const outPath = resolve(projectRoot, out);
  mkdirSync(dirname(outPath), { recursive: true });
  await compile([relative(projectRoot, entryPath), "-o", relative(projectRoot, outPath), ...compilerArgs(projectRoot, target, !!opts.debug)], projectRoot, entry);
  (opts.log ?? ((l: string) => console.log(l)))(`build: ${out}${opts.debug ? " (debug: name section kept)" : ""}`);
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildFilters(process.argv.slice(2)).catch((e: Error) => {
    console.error(e.message);
    process.exit(1);
  });
}
