// The package as a filter author outside this repository gets it: `npm pack`, a new project that
// installs the tarball (its dependencies from the registry, through the npm cache), then the
// README's "Your own filter project" commands: new, build, npm test, config, validate, gateway.
// Also a filter written only against the documented public names (imported by package name)
// that traps: its --debug build prints a backtrace naming its function, in the host (a consumer
// test run with plain Node) and on the gateway's output; and the SDK builds without warnings
// with AssemblyScript 0.28 (what a consumer gets by default) and 0.27.
import assert from "node:assert/strict";
import { spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { after, before, test } from "node:test";

const REPO = resolve(import.meta.dirname, "../..");
const work = mkdtempSync(join(tmpdir(), "pwa-consumer-"));
const project = join(work, "my-proxy");
const timings: string[] = [];

// A consumer's environment: not this test run's (node:test's child marker, npm's lifecycle vars,
// and the node_modules/.bin folders `npm test` puts on PATH: this repo's dev dependencies bring
// an old npm 6 there).
const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env)
  .filter(([k]) => k !== "NODE_TEST_CONTEXT" && k !== "NODE_OPTIONS" && !(k.startsWith("npm_") && !k.startsWith("npm_config_"))));
env.PATH = (process.env.PATH ?? "").split(delimiter).filter((d) => !/[\\/]node_modules[\\/]\.bin$/.test(d)).join(delimiter);

function sh(cmd: string, args: string[], cwd = project, timeout = 240_000): SpawnSyncReturns<string> {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { cwd, env, encoding: "utf8", timeout });
  timings.push(`${cmd} ${args.join(" ").slice(0, 60)}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return r;
}
function ok(r: SpawnSyncReturns<string>, what: string): string {
  assert.equal(r.status, 0, `${what} failed (exit ${r.status}${r.error ? `, ${r.error.message}` : ""}):\n${r.stdout}\n${r.stderr}`);
  return `${r.stdout}\n${r.stderr}`;
}
const npx = (...args: string[]) => sh("npx", ["--no-install", "proxy-wasm-as", ...args]);
const noWarnings = (out: string, what: string) => assert.doesNotMatch(out, /WARNING|AS\d{3}/, `${what} printed compiler warnings:\n${out}`);

let upstream: Server;
before(async () => {
  upstream = createServer((req, res) => { res.setHeader("x-upstream", "yes"); res.end(`upstream saw ${req.url}`); });
  await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
});
after(() => {
  upstream?.close();
  console.log(`consumer test steps:\n  ${timings.join("\n  ")}`);
  rmSync(work, { recursive: true, force: true });
});

// A filter written against the documented names only (docs/sdk-api.md), imported by package name.
const TRAPPY = `export * from "proxy-wasm-as/exports";
import { FilterHeadersStatus, HttpContext, logInfo, registerRootContext, requestHeaders, RootContext } from "proxy-wasm-as";

const slots: i32[] = [1, 2, 3];

function explodeOnPurpose(at: i32): i32 {
  return slots[at];
}

class Trappy extends HttpContext {
  onRequestHeaders(n: u32, end: bool): FilterHeadersStatus {
    const at = requestHeaders.get("x-crash");
    if (at !== null) {
      logInfo("trappy: reading slot " + at);
      explodeOnPurpose(I32.parseInt(at));
    }
    return FilterHeadersStatus.Continue;
  }
}
class TrappyRoot extends RootContext {
  newHttpContext(id: u32): HttpContext | null { return new Trappy(id, this); }
}
registerRootContext("trappy", (id: u32): RootContext => new TrappyRoot(id));
`;

const TRAPPY_TEST = `import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { test } from "node:test";
import { Host, ManualClock, PluginTrapError } from "proxy-wasm-as/host";

test("a trap is one readable error", async () => {
  const host = new Host({ clock: new ManualClock(), throwOnTrap: true });
  const plugin = await host.loadPlugin({ wasm: process.env.TRAPPY_WASM ?? "build/trappy.wasm", rootId: "trappy" });
  const s = plugin.createHttpStream();
  assert.deepEqual(s.callOnRequestHeaders([[":method", "GET"], [":path", "/"], [":authority", "a"]]), 0);
  let caught;
  try { plugin.createHttpStream().callOnRequestHeaders([[":method", "GET"], [":path", "/"], [":authority", "a"], ["x-crash", "7"]]); }
  catch (e) { caught = e; }
  assert.ok(caught instanceof PluginTrapError, String(caught));
  if (process.env.TRAP_OUT) writeFileSync(process.env.TRAP_OUT, caught.message);
});
`;

// proxy-runtime's names (compat) and the websocket reader, by package name, in one entry.
const EXTRAS_ENTRY = `export * from "proxy-wasm-as/exports";
import { FrameReader } from "proxy-wasm-as/websocket";
import { RootContext, Context, registerRootContext, FilterHeadersStatusValues, stream_context } from "proxy-wasm-as/compat/proxy-runtime";
class R extends RootContext { createContext(id: u32): Context { return new C(id, this); } }
class C extends Context {
  constructor(id: u32, root: R) { super(id, root); }
  onResponseHeaders(a: u32, end: bool): FilterHeadersStatusValues {
    stream_context.headers.response.add("hello", "world");
    const reader = new FrameReader();
    return FilterHeadersStatusValues.Continue;
  }
}
registerRootContext((id: u32) => { return new R(id); }, "compat");
`;

function get(port: number, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((done, fail) => {
    const req = request({ host: "127.0.0.1", port, path: "/hello", headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => done({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on("error", fail);
    req.end();
  });
}

test("npm pack -> install in a new project -> new, build, npm test, config, validate, gateway", { timeout: 400_000 }, async () => {
  // 1. The tarball (prepack compiles envoy-test/ to dist/).
  const pack = ok(sh("npm", ["pack", "--pack-destination", work, "--json"], REPO), "npm pack");
  const packed = JSON.parse(pack.slice(pack.indexOf("["), pack.lastIndexOf("]") + 1))[0] as { filename: string; files: { path: string }[] };
  const paths = packed.files.map((f) => f.path);
  for (const p of ["index.ts", "exports.ts", "websocket.ts", "compat/proxy-runtime.ts", "asconfig.preset.json", "dist/host/index.js", "dist/host/index.d.ts", "dist/cli.js"]) {
    assert.ok(paths.includes(p), `the tarball has ${p}`);
  }
  assert.equal(paths.filter((p) => /^(test|bench|\.ci|node_modules|filters)\//.test(p)).length, 0, "no tests, benchmarks, CI or repo filters in the tarball");
  assert.equal(existsSync(join(REPO, "dist")), false, "postpack removed dist/ from the repository");

  // 2. A new project installs it; the dependencies come from the registry (the npm cache here).
  mkdirSync(project);
  ok(sh("npm", ["init", "-y"]), "npm init");
  ok(sh("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", join(work, packed.filename)]), "npm install <tarball>");
  const asVersion = JSON.parse(readFileSync(join(project, "node_modules/assemblyscript/package.json"), "utf8")).version as string;
  assert.match(asVersion, /^0\.28\./, "npm installs the peer dependency's newest match, 0.28");

  // 3. new + build + npm test, as the README shows them.
  const created = ok(npx("new", "my-filter"), "new my-filter");
  for (const f of ["filters/my-filter/index.ts", "test/my-filter.test.mjs", "asconfig.json", "package.json"]) assert.match(created, new RegExp(f.replace(/\./g, "\\.")));
  assert.match(readFileSync(join(project, "filters/my-filter/index.ts"), "utf8"), /from "proxy-wasm-as"/);
  noWarnings(ok(npx("build"), "build"), "build (AssemblyScript 0.28)");
  assert.ok(existsSync(join(project, "build/my-filter.wasm")));
  const tested = ok(sh("npm", ["test"]), "npm test in the project");
  assert.match(tested, /# pass 2/);
  assert.match(tested, /# fail 0/);

  // 4. Entry files with the SDK's settings: websocket and proxy-runtime compat by package name.
  mkdirSync(join(project, "src"));
  writeFileSync(join(project, "src/extras.ts"), EXTRAS_ENTRY);
  noWarnings(ok(npx("build", "src/extras.ts", "-o", "out/extras.wasm"), "build src/extras.ts"), "build src/extras.ts");
  assert.ok(existsSync(join(project, "out/extras.wasm")));

  // 5. The trapping filter: a release build has no names, so no backtrace (as Envoy); --debug has one.
  mkdirSync(join(project, "filters/trappy"));
  writeFileSync(join(project, "filters/trappy/index.ts"), TRAPPY);
  writeFileSync(join(project, "test/trappy.test.mjs"), TRAPPY_TEST);
  const runTrappy = (wasm: string) => {
    const trapOut = join(work, "trap.txt");
    rmSync(trapOut, { force: true });
    const r = spawnSync(process.execPath, ["--test", "test/trappy.test.mjs"], { cwd: project, env: { ...env, TRAPPY_WASM: wasm, TRAP_OUT: trapOut }, encoding: "utf8" });
    ok(r, "trappy host test");
    return readFileSync(trapOut, "utf8");
  };
  noWarnings(ok(npx("build"), "build with trappy"), "build with trappy");
  const release = runTrappy("build/trappy.wasm");
  assert.match(release, /^Function: proxy_on_request_headers failed: Uncaught RuntimeError: unreachable/);
  assert.doesNotMatch(release, /backtrace/);
  noWarnings(ok(npx("build", "--debug"), "build --debug"), "build --debug");
  const debug = runTrappy("build/trappy.wasm");
  assert.match(debug, /Proxy-Wasm plugin in-VM backtrace:\n {2}0: {2}0x[0-9a-f]+ - /);
  assert.match(debug, /\n +\d+: {2}0x[0-9a-f]+ - [^\n]*explodeOnPurpose/, "the backtrace names the filter's function");
  assert.match(debug, /last log lines of the VM before the trap:\n.*trappy: reading slot 7/);
  assert.match(debug, /abort: Index out of range/);

  // 6. config (both filters, in order), validate, gateway on the generated listener.
  ok(npx("config", "--listen", "127.0.0.1:0", "--upstream", `127.0.0.1:${(upstream.address() as AddressInfo).port}`,
    "--filter", "build/my-filter.wasm", "--root-id", "my_filter", "--configuration", '{"value":"from-config"}',
    "--filter", "build/trappy.wasm", "--out", "envoy.yaml"), "config");
  const yaml = readFileSync(join(project, "envoy.yaml"), "utf8");
  assert.ok(yaml.indexOf("build/my-filter.wasm") < yaml.indexOf("build/trappy.wasm") && yaml.indexOf("build/trappy.wasm") < yaml.indexOf("envoy.filters.http.router"));
  ok(npx("validate", "envoy.yaml"), "validate");

  // The installed bin itself (what npx runs), so the signal below reaches the gateway.
  const gw = spawn(process.execPath, [join(project, "node_modules/.bin/proxy-wasm-as"), "gateway", "--config", "envoy.yaml", "--log-level", "info"],
    { cwd: project, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  gw.stdout.on("data", (d) => (output += d));
  gw.stderr.on("data", (d) => (output += d));
  try {
    const port = await new Promise<number>((ready, fail) => {
      const t = setTimeout(() => fail(new Error(`gateway did not start in 60 s:\n${output}`)), 60_000);
      gw.stderr.on("data", () => { const m = /listener main 127\.0\.0\.1:(\d+)/.exec(output); if (m) { clearTimeout(t); ready(Number(m[1])); } });
      gw.once("exit", (code) => { clearTimeout(t); fail(new Error(`gateway exited ${code}:\n${output}`)); });
    });
    const r = await get(port);
    assert.equal(r.status, 200, output);
    assert.equal(r.body, "upstream saw /hello");
    assert.equal(r.headers["x-my-filter"], "from-config");
    // The trap: fail closed (Envoy's default) answers 503; the output has Envoy's lines.
    const crashed = await get(port, { "x-crash": "9" });
    assert.equal(crashed.status, 503, output);
    await new Promise((r) => setTimeout(r, 200));
    assert.match(output, /\[info\]\[wasm\] wasm log trappy trappy: trappy: reading slot 9/);
    assert.match(output, /\[critical\]\[wasm\] wasm log trappy trappy: abort: Index out of range/);
    assert.match(output, /\[error\]\[wasm\] Function: proxy_on_request_headers failed: Uncaught RuntimeError: unreachable\nProxy-Wasm plugin in-VM backtrace:\n[\s\S]*explodeOnPurpose/);
  } finally {
    const exited = new Promise((r) => gw.once("exit", r));
    gw.kill("SIGINT");
    const t = setTimeout(() => gw.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(t);
  }

  // 7. The TypeScript entry points have types (this repo's tsc; the project has none installed).
  writeFileSync(join(project, "types.ts"), `import { Host, ManualClock, PluginTrapError } from "proxy-wasm-as/host";
import { filterTopology, validateFile } from "proxy-wasm-as/config";
import { startGateway } from "proxy-wasm-as/gateway";
import { startBackends } from "proxy-wasm-as/backends";
const host: Host = new Host({ clock: new ManualClock(), throwOnTrap: true });
const wrong: number = host;
export { PluginTrapError, filterTopology, validateFile, startGateway, startBackends, wrong };
`);
  const tsc = sh(process.execPath, [join(REPO, "node_modules/typescript/bin/tsc"), "--noEmit", "--strict", "--module", "nodenext",
    "--moduleResolution", "nodenext", "--types", "node", "--typeRoots", join(REPO, "node_modules/@types"), "types.ts"]);
  // Exactly the one planted error: the imports and their types resolve.
  assert.deepEqual((tsc.stdout.match(/error TS\d+/g) ?? []), ["error TS2322"], tsc.stdout + tsc.stderr);
  assert.match(tsc.stdout, /types\.ts\(6,7\): error TS2322: Type 'Host' is not assignable to type 'number'/);

  // 8. AssemblyScript 0.27, the other end of the peer range: the same project builds without warnings.
  ok(sh("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--save-dev", "assemblyscript@0.27.37"]), "npm install assemblyscript@0.27.37");
  assert.match(JSON.parse(readFileSync(join(project, "node_modules/assemblyscript/package.json"), "utf8")).version, /^0\.27\./);
  noWarnings(ok(npx("build", "src/extras.ts", "-o", "out/extras.wasm"), "build src/extras.ts (0.27)"), "build src/extras.ts (0.27)");
  // npm test builds every filter first (here with 0.27), then runs both host tests.
  const tested27 = ok(sh("npm", ["test"]), "npm test (0.27)");
  noWarnings(tested27, "npm test's build (AssemblyScript 0.27)");
  assert.match(tested27, /# pass 3/);
  assert.match(tested27, /# fail 0/);
});
