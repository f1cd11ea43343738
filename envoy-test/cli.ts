// proxy-wasm-as: the package's command line (package.json "bin" -> envoy-test/cli-bin.mjs).
// Each command is one entry of COMMANDS: (args, io) -> exit code. Usage errors print the usage
// and exit 2; a failed command exits 1 with its reason.
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The package root: the parent of envoy-test/ here, of dist/ in the installed package. */
const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export const USAGE = `usage: proxy-wasm-as <command>
  new NAME                 create filters/NAME in this project: entry, strict config, README, a host
                           test (test/NAME.test.mjs), asconfig.json and npm scripts when missing
  build [--debug]          build every filters/<name>/index.ts of this project -> build/<name>.wasm
  build ENTRY -o OUT [--debug]
                           build any entry file with the SDK's compiler settings
                           --debug keeps the name section: a trap logs a backtrace with function names
  config --listen HOST:PORT --upstream HOST:PORT --filter FILE.wasm [--root-id ID]
         [--configuration JSON] [--name NAME] [--vm-id ID] [--fail-open] [--filter ...]
         [--websocket] [--admin HOST:PORT] [--out FILE]
                           write an Envoy bootstrap running your filters, in order, before the
                           router to the upstream; validated (each module loaded and configured)
                           --root-id defaults to the file name with "-" as "_"
  config [--out FILE] [--wasm-dir DIR] [--drain-token T]
                           without --filter: this repository's default topology (default out
                           build/envoy.yaml)
  validate FILE [--wasm-dir DIR]
                           check an Envoy bootstrap (YAML or JSON) against Envoy's v3 API and the
                           modules it names; exit 0 if valid, 1 with one line per error
  gateway --config FILE [--log-level LEVEL]
                           run the local gateway (an Envoy test double) on FILE; LEVEL is Envoy's
                           (trace, debug, info, warn, error, critical, off; default info)
  hot-restarter --config FILE [--drain-time-s N] [--parent-shutdown-time-s N]
                [--drain-strategy gradual|immediate] [--base-id N]
                           run the local gateway as epoch 0; SIGHUP starts the next epoch on FILE
                           as it is then (refused, the running epoch kept, if it does not
                           validate); SIGTERM stops every epoch (defaults: 600, 900, gradual, 0)`;

export class UsageError extends Error {}

export interface Io { out: (s: string) => void; err: (s: string) => void }
const stdio: Io = { out: (s) => process.stdout.write(s + "\n"), err: (s) => process.stderr.write(s + "\n") };

/** Flags in order: `--name value`, `--name=value`, or a bare `--name` when it is in `booleans`. */
export function parseArgs(args: string[], valued: string[], booleans: string[] = []): { flags: [string, string][]; rest: string[] } {
  const flags: [string, string][] = [];
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "-o") { const v = args[++i]; if (v === undefined) throw new UsageError("-o needs a value"); flags.push(["out", v]); continue; }
    if (!a.startsWith("--")) { rest.push(a); continue; }
    const eq = a.indexOf("=");
    const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
    if (booleans.includes(name)) {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      flags.push([name, "true"]);
      continue;
    }
    if (!valued.includes(name)) throw new UsageError(`unknown option --${name}`);
    const value = eq >= 0 ? a.slice(eq + 1) : args[++i];
    if (value === undefined || (eq < 0 && value.startsWith("--"))) throw new UsageError(`--${name} needs a value`);
    flags.push([name, value]);
  }
  return { flags, rest };
}

function single(flags: [string, string][], name: string): string | undefined {
  const all = flags.filter(([n]) => n === name);
  if (all.length > 1) throw new UsageError(`--${name} given ${all.length} times`);
  return all[0]?.[1];
}

/** Modules the proxy finds under `dir` (e.g. the container's /etc/envoy/wasm) are checked in build/. */
function wasmDirMapping(dir: string | undefined): ((f: string) => string) | undefined {
  if (dir === undefined) return undefined;
  const prefix = dir.replace(/\/+$/, "") + "/";
  return (f: string) => (f.startsWith(prefix) ? join(PACKAGE_ROOT, "build", f.slice(prefix.length)) : f);
}

async function validateCmd(args: string[], io: Io): Promise<number> {
  const { flags, rest } = parseArgs(args, ["wasm-dir"]);
  if (rest.length !== 1) throw new UsageError("validate needs exactly one FILE");
  const { validateFile, formatError } = await import("./config/index.ts");
  const result = await validateFile(rest[0], { localWasmPath: wasmDirMapping(single(flags, "wasm-dir")) });
  for (const w of result.warnings) io.err(`warning: ${formatError(w)}`);
  if (result.errors.length) {
    for (const e of result.errors) io.out(formatError(e));
    return 1;
  }
  io.err(`${rest[0]}: valid`);
  return 0;
}

async function configCmd(args: string[], io: Io): Promise<number> {
  const { flags, rest } = parseArgs(args,
    ["out", "wasm-dir", "drain-token", "listen", "upstream", "admin", "filter", "root-id", "configuration", "name", "vm-id"],
    ["websocket", "fail-open"]);
  if (rest.length) throw new UsageError(`config takes no arguments (got ${rest.join(" ")})`);
  const config = await import("./config/index.ts");
  const { writeConfig, formatError, ConfigValidationError } = config;
  const custom = flags.some(([n]) => ["listen", "upstream", "filter", "admin", "websocket"].includes(n));
  let out: string;
  let cfg: InstanceType<typeof config.EnvoyConfig>;
  let opts = {};
  if (custom) {
    for (const n of ["wasm-dir", "drain-token"]) if (single(flags, n) !== undefined) throw new UsageError(`--${n} is for the default topology, not with --listen/--upstream/--filter`);
    const listen = single(flags, "listen"), upstream = single(flags, "upstream");
    if (!listen || !upstream) throw new UsageError("config needs --listen HOST:PORT and --upstream HOST:PORT with --filter");
    const filters: import("./config/index.ts").FilterSpec[] = [];
    for (const [n, v] of flags) {
      if (n === "filter") { filters.push({ wasm: v }); continue; }
      if (!["root-id", "configuration", "name", "vm-id", "fail-open"].includes(n)) continue;
      const f = filters[filters.length - 1];
      if (!f) throw new UsageError(`--${n} must follow the --filter it belongs to`);
      const key = ({ "root-id": "rootId", configuration: "configuration", name: "name", "vm-id": "vmId", "fail-open": "failOpen" } as const)[n as "root-id" | "configuration" | "name" | "vm-id" | "fail-open"];
      if (f[key] !== undefined) throw new UsageError(`--${n} given twice for --filter ${f.wasm}`);
      (f as unknown as Record<string, unknown>)[key] = key === "failOpen" ? true : v;
    }
    try {
      cfg = config.filterTopology({
        listen: config.parseAddress(listen, "--listen"), upstream: config.parseAddress(upstream, "--upstream"),
        admin: single(flags, "admin") !== undefined ? config.parseAddress(single(flags, "admin")!, "--admin") : undefined,
        websocket: single(flags, "websocket") !== undefined, filters,
      });
    } catch (e) { throw new UsageError((e as Error).message); }
    out = single(flags, "out") ?? "envoy.yaml";
  } else {
    for (const n of ["root-id", "configuration", "name", "vm-id", "fail-open"]) if (single(flags, n) !== undefined) throw new UsageError(`--${n} needs a --filter`);
    out = single(flags, "out") ?? "build/envoy.yaml";
    const wasmDir = (single(flags, "wasm-dir") ?? "build").replace(/\/+$/, "");
    // With the default "build", modules resolve against the working directory as Envoy's would.
    // With another directory (the container's), they are checked where they are built.
    const token = single(flags, "drain-token");
    cfg = config.defaultTopology({ wasmDir, drain: token !== undefined ? { token } : undefined });
    opts = { localWasmPath: wasmDirMapping(single(flags, "wasm-dir")) };
  }
  try {
    const result = await writeConfig(out, cfg, opts);
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
  const { flags, rest } = parseArgs(args, ["config", "log-level"]);
  const configPath = single(flags, "config");
  if (rest.length || !configPath) throw new UsageError("gateway needs --config FILE");
  const { startGateway, envoyLog, parseLogLevel } = await import("./gateway/index.ts");
  let level;
  try { level = parseLogLevel(single(flags, "log-level") ?? "info"); } catch (e) { throw new UsageError((e as Error).message); }
  const { log, onWasmLog } = envoyLog(level, io.err);
  const gateway = await startGateway({ configPath, logLevel: level, log, onWasmLog });
  // Handlers first, then the "running" line: whoever reads that line may signal at once.
  const stopped = new Promise<void>((done) => {
    const stop = () => { Promise.resolve(gateway.close()).finally(done); };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  const parts: string[] = [];
  for (const l of gateway.config.listeners) {
    try { const a = gateway.listenerAddress(l.name); parts.push(`listener ${l.name} ${a.address}:${a.port}`); } catch { /* not listening */ }
  }
  try { const a = gateway.adminAddress(); parts.push(`admin ${a.address}:${a.port}`); } catch { /* no admin section */ }
  io.err(`gateway: running ${configPath}${parts.length ? ` (${parts.join(", ")})` : ""}; Ctrl-C stops it`);
  await stopped;
  return 0;
}

async function hotRestarterCmd(args: string[], io: Io): Promise<number> {
  const names = ["config", "drain-time-s", "parent-shutdown-time-s", "drain-strategy", "base-id"];
  const { flags: given, rest } = parseArgs(args, names);
  const flags: Record<string, string | undefined> = Object.fromEntries(names.map((n) => [n, single(given, n)]));
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
    configPath: flags.config!, drainTimeS: num("drain-time-s", 600), parentShutdownTimeS: num("parent-shutdown-time-s", 900),
    drainStrategy: strategy, baseId: num("base-id", 0), log: (l) => io.err(`hot-restarter: ${l}`),
  });
}

async function newCmd(args: string[], io: Io): Promise<number> {
  const { rest } = parseArgs(args, []);
  if (rest.length !== 1) throw new UsageError("new needs exactly one NAME");
  const { scaffoldFilter } = await import("./scaffold.ts");
  // The project being worked on is the working directory.
  for (const f of scaffoldFilter(rest[0], process.cwd())) io.out(f);
  return 0;
}

async function buildCmd(args: string[], io: Io): Promise<number> {
  const { flags, rest } = parseArgs(args, ["out"], ["debug"]);
  const debug = single(flags, "debug") !== undefined;
  const out = single(flags, "out");
  const { buildEntry, buildProject } = await import("./build.ts");
  const log = (l: string) => io.err(l);
  if (rest.length > 1) throw new UsageError(`build takes at most one ENTRY (got ${rest.join(" ")})`);
  if (rest.length === 1) {
    await buildEntry(rest[0], out ?? join("build", basename(rest[0]).replace(/\.ts$/, "") + ".wasm"), { debug, log });
  } else {
    if (out !== undefined) throw new UsageError("build -o OUT needs an ENTRY");
    await buildProject({ debug, log });
  }
  return 0;
}

/** The commands; a new one is one more entry (its usage goes in USAGE). */
export const COMMANDS: Record<string, (args: string[], io: Io) => Promise<number>> = {
  new: newCmd, build: buildCmd, config: configCmd, validate: validateCmd, gateway: gatewayCmd, "hot-restarter": hotRestarterCmd,
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
