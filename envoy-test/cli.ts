// proxy-wasm-as: the package's command line (package.json "bin" -> envoy-test/cli-bin.mjs).
//   validate FILE            exit 0 when valid; 1 with one "yaml.path: message" line per error
//   config [--out FILE]      write the default topology (validated, atomically); default build/envoy.yaml
//   gateway --config FILE    run the local gateway on an Envoy bootstrap
//   hot-restarter --config FILE  run the local gateway with Envoy's hot restart (SIGHUP: next epoch)
//   new NAME                 scaffold filters/NAME
// Usage errors print the usage and exit 2.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "..");

export const USAGE = `usage: proxy-wasm-as <command>
  validate FILE            check an Envoy bootstrap (YAML or JSON) against Envoy's v3 API and
                           this project's filters; exit 0 if valid, 1 with one line per error
                           options: --wasm-dir DIR (modules the proxy finds in DIR are checked in build/)
  config [--out FILE]      write the default topology, validated, to FILE (default build/envoy.yaml)
                           options: --wasm-dir DIR (where the proxy finds the .wasm files, default build)
                                    --drain-token T (the operator listener's drain token, >= 16 chars)
  gateway --config FILE    run the local gateway (an Envoy test double) on FILE
  hot-restarter --config FILE
                           run the local gateway as epoch 0; SIGHUP starts the next epoch on FILE
                           as it is then (refused, the running epoch kept, if it does not
                           validate); SIGTERM stops every epoch
                           options: --drain-time-s N (600) --parent-shutdown-time-s N (900)
                                    --drain-strategy gradual|immediate (gradual) --base-id N (0)
  new NAME                 create filters/NAME from the filter template`;

class UsageError extends Error {}

interface Io { out: (s: string) => void; err: (s: string) => void }
const stdio: Io = { out: (s) => process.stdout.write(s + "\n"), err: (s) => process.stderr.write(s + "\n") };

function parseFlags(args: string[], allowed: string[]): { flags: Record<string, string>; rest: string[] } {
  const flags: Record<string, string> = {};
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith("--")) {
      const [name, inline] = a.slice(2).split("=", 2);
      if (!allowed.includes(name)) throw new UsageError(`unknown option --${name}`);
      const value = inline ?? args[++i];
      if (value === undefined || value.startsWith("--")) throw new UsageError(`--${name} needs a value`);
      flags[name] = value;
    } else rest.push(a);
  }
  return { flags, rest };
}

/** Modules the proxy finds under `dir` (e.g. the container's /etc/envoy/wasm) are checked in build/. */
function wasmDirMapping(dir: string | undefined): ((f: string) => string) | undefined {
  if (dir === undefined) return undefined;
  const prefix = dir.replace(/\/+$/, "") + "/";
  return (f: string) => (f.startsWith(prefix) ? join(repoRoot, "build", f.slice(prefix.length)) : f);
}

async function validateCmd(args: string[], io: Io): Promise<number> {
  const { flags, rest } = parseFlags(args, ["wasm-dir"]);
  if (rest.length !== 1) throw new UsageError("validate needs exactly one FILE");
  const { validateFile, formatError } = await import("./config/index.ts");
  const result = await validateFile(rest[0], { localWasmPath: wasmDirMapping(flags["wasm-dir"]) });
  for (const w of result.warnings) io.err(`warning: ${formatError(w)}`);
  if (result.errors.length) {
    for (const e of result.errors) io.out(formatError(e));
    return 1;
  }
  io.err(`${rest[0]}: valid`);
  return 0;
}

async function configCmd(args: string[], io: Io): Promise<number> {
  const { flags, rest } = parseFlags(args, ["out", "wasm-dir", "drain-token"]);
  if (rest.length) throw new UsageError(`config takes no arguments (got ${rest.join(" ")})`);
  const { defaultTopology, writeConfig, formatError, ConfigValidationError } = await import("./config/index.ts");
  const out = flags.out ?? "build/envoy.yaml";
  try {
    const wasmDir = (flags["wasm-dir"] ?? "build").replace(/\/+$/, "");
    // With the default "build", modules resolve against the working directory as Envoy's would.
    // With another directory (the container's), they are checked where they are built.
    const drain = flags["drain-token"] !== undefined ? { token: flags["drain-token"] } : undefined;
    const result = await writeConfig(out, defaultTopology({ wasmDir, drain }), { localWasmPath: wasmDirMapping(flags["wasm-dir"]) });
    for (const w of result.warnings) io.err(`warning: ${formatError(w)}`);
  } catch (e) {
    if (e instanceof ConfigValidationError) {
      for (const err of e.result.errors) io.out(formatError(err));
      io.err(`${out}: not written (${e.result.errors.length} error(s))`);
      return 1;
    }
    throw e;
  }
  io.err(`wrote ${out}`);
  return 0;
}

async function gatewayCmd(args: string[], io: Io): Promise<number> {
  const { flags, rest } = parseFlags(args, ["config"]);
  if (rest.length || !flags.config) throw new UsageError("gateway needs --config FILE");
  const entry = join(here, "gateway", "index.ts");
  if (!existsSync(entry)) {
    io.err(`gateway: envoy-test/gateway/index.ts is not there yet (the local gateway is not built); nothing started`);
    return 1;
  }
  const mod = await import(pathToFileURL(entry).href);
  if (typeof mod.startGateway !== "function") {
    io.err("gateway: envoy-test/gateway/index.ts does not export startGateway({ configPath }) yet; nothing started");
    return 1;
  }
  const gateway = await mod.startGateway({ configPath: flags.config });
  // Handlers first, then the "running" line: whoever reads that line may signal at once.
  const stopped = new Promise<void>((done) => {
    const stop = () => { Promise.resolve(gateway?.close?.()).finally(done); };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  const show = (a: unknown) => (a && typeof a === "object" && "address" in a && "port" in a ? `${(a as { address: string }).address}:${(a as { port: number }).port}` : JSON.stringify(a));
  const parts: string[] = [];
  for (const l of (gateway?.config?.listeners ?? []) as { name: string }[]) {
    try { parts.push(`listener ${l.name} ${show(gateway.listenerAddress(l.name))}`); } catch { /* not listening */ }
  }
  try { parts.push(`admin ${show(gateway.adminAddress())}`); } catch { /* no admin section */ }
  io.err(`gateway: running ${flags.config}${parts.length ? ` (${parts.join(", ")})` : ""}; Ctrl-C stops it`);
  await stopped;
  return 0;
}

async function hotRestarterCmd(args: string[], io: Io): Promise<number> {
  const { flags, rest } = parseFlags(args, ["config", "drain-time-s", "parent-shutdown-time-s", "drain-strategy", "base-id"]);
  if (rest.length || !flags.config) throw new UsageError("hot-restarter needs --config FILE");
  const num = (name: string, def: number): number => {
    const v = flags[name];
    if (v === undefined) return def;
    if (!/^\d+$/.test(v)) throw new UsageError(`--${name} must be a whole number of seconds, got "${v}"`);
    return Number(v);
  };
  const strategy = flags["drain-strategy"] ?? "gradual";
  if (strategy !== "gradual" && strategy !== "immediate") throw new UsageError(`--drain-strategy must be gradual or immediate, got "${strategy}"`);
  const { runHotRestarter } = await import("./gateway/hot-restart/restarter.ts");
  return runHotRestarter({
    configPath: flags.config, drainTimeS: num("drain-time-s", 600), parentShutdownTimeS: num("parent-shutdown-time-s", 900),
    drainStrategy: strategy, baseId: num("base-id", 0), log: (l) => io.err(`hot-restarter: ${l}`),
  });
}

async function newCmd(args: string[], io: Io): Promise<number> {
  const { rest } = parseFlags(args, []);
  if (rest.length !== 1) throw new UsageError("new needs exactly one NAME");
  const entry = join(here, "scaffold.ts");
  if (!existsSync(entry)) {
    io.err("new: envoy-test/scaffold.ts is not there yet; nothing created");
    return 1;
  }
  const mod = await import(pathToFileURL(entry).href);
  if (typeof mod.scaffoldFilter !== "function") {
    io.err("new: envoy-test/scaffold.ts does not export scaffoldFilter(name, root) yet; nothing created");
    return 1;
  }
  // The project being worked on is the working directory (for this repo: its root).
  const files: string[] = await mod.scaffoldFilter(rest[0], process.cwd());
  for (const f of files ?? []) io.out(f);
  return 0;
}

const COMMANDS: Record<string, (args: string[], io: Io) => Promise<number>> = {
  validate: validateCmd, config: configCmd, gateway: gatewayCmd, "hot-restarter": hotRestarterCmd, new: newCmd,
};

/** Runs the CLI; returns the exit code (0 ok, 1 failure, 2 usage). */
export async function main(argv: string[], io: Io = stdio): Promise<number> {
  const [command, ...args] = argv;
  if (command === "--help" || command === "-h" || command === "help") { io.out(USAGE); return 0; }
  const run = command ? COMMANDS[command] : undefined;
  try {
    if (!run) throw new UsageError(command ? `unknown command "${command}"` : "no command given");
    return await run(args, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`proxy-wasm-as: ${e.message}`);
      io.err(USAGE);
      return 2;
    }
    io.err(`proxy-wasm-as ${command}: ${(e as Error).message}`);
    return 1;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
