// No hostcall a cached value could avoid: the log level is read once per configure/tick, a
// disabled level makes no proxy_log call, and metric ids are defined once, not per request.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Host, LogLevel, ManualClock, type HeaderList } from "../../../envoy-test/host/index.ts";
import { join } from "node:path";
import { buildFilters } from "../../../envoy-test/build.ts";
import { buildFixture, ROOT } from "../../support/compile.ts";

/** Records env.proxy_* calls by wrapping the imports handed to WebAssembly.Instance. */
const calls: string[] = [];
const OriginalInstance = WebAssembly.Instance;
function counting(module: WebAssembly.Module, imports: WebAssembly.Imports = {}) {
  const env: Record<string, WebAssembly.ImportValue> = { ...(imports.env ?? {}) };
  for (const [name, f] of Object.entries(env)) {
    if (typeof f === "function" && name.startsWith("proxy_")) {
      const fn = f as (...a: unknown[]) => unknown;
      env[name] = (...a: unknown[]) => { calls.push(name); return fn(...a); };
    }
  }
  return new OriginalInstance(module, { ...imports, env });
}
counting.prototype = OriginalInstance.prototype;

let probe = "";
before(async () => {
  probe = await buildFixture("test/fixtures/sdk/probe.ts");
  await buildFilters(["add-header"]);
  (WebAssembly as { Instance: unknown }).Instance = counting;
});
after(() => { (WebAssembly as { Instance: unknown }).Instance = OriginalInstance; });

const get = (path: string): HeaderList => [[":method", "GET"], [":path", path], [":authority", "svc"], [":scheme", "http"]];

function during(fn: () => void): string[] {
  const start = calls.length;
  fn();
  return calls.slice(start);
}

test("a disabled log level costs no hostcall; enabled lines cost one proxy_log each", async () => {
  const host = new Host({ clock: new ManualClock(), logLevel: LogLevel.Warn });
  const p = await host.loadPlugin({ wasm: probe, rootId: "probe_a", workers: 1 });
  const s = p.createHttpStream();
  const made = during(() => s.callOnRequestHeaders(get("/log")));
  assert.deepEqual(made.filter((c) => c === "proxy_log"), ["proxy_log"], made.join(" "));
  assert.equal(made.includes("proxy_get_log_level"), false, "the level is cached, not read per call");
  assert.deepEqual(host.logs("warn").map((e) => e.message), ["warn line"]);
  assert.deepEqual(host.logs("debug"), []);
});

test("the cached level follows the host after the next tick", async () => {
  const host = new Host({ clock: new ManualClock(), logLevel: LogLevel.Warn });
  const p = await host.loadPlugin({ wasm: probe, rootId: "probe_a", workers: 1 });
  host.logLevel = LogLevel.Debug;
  p.tick(0);
  const s = p.createHttpStream();
  s.callOnRequestHeaders(get("/log"));
  assert.equal(host.logs("debug").length, 1);
  assert.equal(host.logs("info").length, 1);
});

test("a request makes one metric hostcall and defines no metric", async () => {
  const host = new Host({ clock: new ManualClock() });
  const p = await host.loadPlugin({ wasm: probe, rootId: "probe_a", workers: 1 });
  const s = p.createHttpStream();
  const made = during(() => s.callOnRequestHeaders(get("/")));
  assert.deepEqual(made.filter((c) => c.includes("metric")), ["proxy_increment_metric"]);
  assert.equal(host.stats.get("wasmcustom.probe.a.requests"), 1);
});

test("add-header makes one hostcall per response and none per request, stream creation or completion", async () => {
  const host = new Host({ clock: new ManualClock() });
  const p = await host.loadPlugin({
    wasm: join(ROOT, "build/add-header.wasm"), rootId: "add_header", workers: 1,
    configuration: JSON.stringify({ name: "x-powered-by", value: "proxy-wasm-as" }),
  });
  let s = p.createHttpStream();
  s.complete();
  const made: string[] = [];
  made.push(...during(() => { s = p.createHttpStream(); }));
  assert.deepEqual(made, [], "creating a stream");
  assert.deepEqual(during(() => s.callOnRequestHeaders(get("/"))), [], "request headers");
  assert.deepEqual(during(() => s.callOnResponseHeaders([[":status", "200"]])), ["proxy_add_header_map_value"]);
  assert.deepEqual(during(() => s.complete()), [], "done, log, delete");
});
