// Process-wide services shared by worker VMs: shared data with CAS, metrics, ticks, queues,
// HTTP callouts, foreign functions, properties.
import assert from "node:assert/strict";
import { test } from "node:test";
import { FilterHeadersStatus, Host, WasmResult } from "../../../envoy-test/host/index.ts";
import { fixture } from "../../support/wat.ts";
import { get } from "./requests.ts";

const str = (b: Uint8Array) => new TextDecoder().decode(b);
const u32 = (n: number) => Uint8Array.of(n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24);

async function services(opts: { workers?: number; clusters?: string[] } = {}) {
  const host = new Host({ clusters: opts.clusters });
  const plugin = await host.loadPlugin({ wasm: await fixture("services.wat"), rootId: "svc", vmId: "wss", workers: opts.workers ?? 2 });
  host.clearLogs();
  return { host, plugin, infos: () => host.logs("info").map((e) => e.message) };
}

test("two worker VMs racing on one shared key: the stale compare-and-swap gets CasMismatch", async () => {
  const { host, plugin, infos } = await services();
  plugin.tick(0); // worker 0 reads n: missing -> NotFound, will write unconditionally (cas 0)
  assert.equal((plugin.workers[0].vm.instance.exports.last_result as WebAssembly.Global).value, WasmResult.NotFound);
  plugin.tick(0); // worker 0 writes n = 1
  plugin.tick(0); // worker 0 reads n = 1 with its cas
  plugin.tick(1); // worker 1 reads n = 1 with the same cas
  plugin.tick(1); // worker 1 writes n = 2: Ok, cas moves on
  plugin.tick(0); // worker 0 writes n = 2 with the stale cas
  assert.deepEqual(infos(), ["cas ok", "cas ok", "cas mismatch"]);
  const n = host.sharedData("wss").get("n")!;
  assert.deepEqual([...n.value], [...u32(2)]);
  assert.equal(host.sharedData("").has("n"), false, "shared data is per vm_id");
});

test("shared data CAS rules: 0 writes unconditionally, a matching cas writes, a stale one is refused", () => {
  const host = new Host();
  assert.equal(host.setSharedData("v", "k", u32(1), 0), WasmResult.Ok);
  const cas = host.sharedData("v").get("k")!.cas;
  assert.equal(host.setSharedData("v", "k", u32(2), cas + 1), WasmResult.CasMismatch);
  assert.equal(host.setSharedData("v", "k", u32(2), cas), WasmResult.Ok);
  assert.equal(host.setSharedData("v", "k", u32(3), cas), WasmResult.CasMismatch);
  assert.equal(host.setSharedData("v", "k", u32(3), 0), WasmResult.Ok);
});

test("a counter defined by every worker VM is one stat: ticks on both workers add up", async () => {
  const host = new Host();
  await host.loadPlugin({ wasm: await fixture("filter.wat"), rootId: "f", workers: 2 });
  host.advance(999);
  assert.equal(host.stats.get("wasmcustom.wat.ticks"), 0);
  host.advance(1);
  assert.equal(host.stats.get("wasmcustom.wat.ticks"), 2);
  host.advance(3000);
  assert.equal(host.stats.get("wasmcustom.wat.ticks"), 8);
  assert.deepEqual(host.stats.all().map((s) => [s.name, s.type]), [["wasmcustom.wat.ticks", "counter"]]);
});

test("an item enqueued from a stream on worker 0 is delivered to the registering root context", async () => {
  const { host, plugin, infos } = await services();
  const s = plugin.createHttpStream({ worker: 0 });
  s.callOnRequestHeaders(get("/enqueue/first"));
  // both workers registered "q"; the last registration (worker 1) gets on_queue_ready
  assert.deepEqual(infos(), ["/enqueue/first"]);
  assert.deepEqual(host.logs("info").map((e) => [e.worker, e.contextId]), [[1, plugin.workers[1].rootContextId]]);
  assert.equal(host.enqueue("wss", "q", "from the test"), WasmResult.Ok);
  assert.deepEqual(infos(), ["/enqueue/first", "from the test"]);
  assert.equal(host.enqueue("wss", "nope", "x"), WasmResult.NotFound);
});

test("an HTTP callout waits for the test's answer, which reaches the root context and resumes the stream", async () => {
  const { host, plugin, infos } = await services({ workers: 1 });
  const s = plugin.createHttpStream();
  assert.equal(s.callOnRequestHeaders(get("/callout")), FilterHeadersStatus.StopAllIterationAndWatermark);
  const [c] = host.pendingCallouts();
  assert.equal(c.cluster, "upstream");
  assert.equal(c.timeoutMs, 500);
  assert.deepEqual(c.headers, [[":method", "GET"], [":path", "/check"], [":authority", "upstream"]]);
  assert.equal(c.token, 4, "first HTTP callout token of a VM (cpp-host: type 0, step 4)");
  c.respond({ headers: [[":status", "200"]], body: "allowed" });
  assert.deepEqual(infos(), ["200", "allowed"]);
  assert.deepEqual(s.continued, [0], "continued via set_effective_context + continue_stream(Request)");
  assert.equal(host.pendingCallouts().length, 0);
});

test("a callout that times out on the clock delivers Envoy's 504 local reply", async () => {
  const { host, plugin, infos } = await services({ workers: 1 });
  plugin.createHttpStream().callOnRequestHeaders(get("/callout"));
  host.advance(499);
  assert.deepEqual(infos(), []);
  host.advance(1);
  assert.deepEqual(infos(), ["504", "upstream request timeout"]);
});

test("a reset callout reaches the module with no headers and get_status BrokenConnection 'reset'", async () => {
  const { host, plugin, infos } = await services({ workers: 1 });
  plugin.createHttpStream().callOnRequestHeaders(get("/callout"));
  host.pendingCallouts()[0].fail();
  assert.deepEqual(infos(), ["callout failed", "reset"]);
});

test("a callout to a cluster Envoy does not know is refused with BadArgument", async () => {
  const { host, plugin } = await services({ workers: 1, clusters: ["other"] });
  plugin.createHttpStream().callOnRequestHeaders(get("/callout"));
  assert.equal((plugin.workers[0].vm.instance.exports.last_result as WebAssembly.Global).value, WasmResult.BadArgument);
  assert.equal(host.pendingCallouts().length, 0);
});

test("a callout through a CalloutTransport is answered by the transport", async () => {
  const seen: string[] = [];
  const host = new Host({
    callouts: {
      async httpCall(cluster, headers) {
        seen.push(`${cluster} ${headers.find(([k]) => k === ":path")![1]}`);
        return { headers: [[":status", "204"]], body: new Uint8Array(0), trailers: [] };
      },
    },
  });
  const plugin = await host.loadPlugin({ wasm: await fixture("services.wat"), rootId: "svc", workers: 1 });
  const s = plugin.createHttpStream();
  s.callOnRequestHeaders(get("/callout"));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(seen, ["upstream /check"]);
  assert.ok(host.logs("info").some((e) => e.message === "204"));
  assert.deepEqual(s.continued, [0]);
});

test("a foreign function registered on the host gets the arguments and its result reaches the module", async () => {
  const { host, plugin, infos } = await services({ workers: 1 });
  host.foreignFunctions.set("echo", (args) => ({ result: WasmResult.Ok, data: new TextEncoder().encode(`echo:${str(args)}`) }));
  plugin.createHttpStream().callOnRequestHeaders(get("/foreign/x"));
  assert.deepEqual(infos(), ["echo:/foreign/x"]);
  host.foreignFunctions.delete("echo");
  plugin.createHttpStream().callOnRequestHeaders(get("/foreign/y"));
  assert.equal((plugin.workers[0].vm.instance.exports.last_result as WebAssembly.Global).value, WasmResult.NotFound);
});

test("set_envoy_filter_state stores a value for a key Envoy has a factory for, and refuses others", async () => {
  const host = new Host();
  const f = host.foreignFunctions.get("set_envoy_filter_state")!;
  const stream = { envoyFilterState: () => fs } as never;
  const fs = new Map<string, Uint8Array>();
  // SetEnvoyFilterStateArguments { path: "envoy.tcp_proxy.cluster", value: "messages" }
  const msg = (path: string) => Uint8Array.from([0x0a, path.length, ...Buffer.from(path), 0x12, 8, ...Buffer.from("messages")]);
  assert.equal(f(msg("envoy.tcp_proxy.cluster"), { stream, contextId: 2, worker: 0, plugin: null }).result, WasmResult.Ok);
  assert.equal(str(fs.get("envoy.tcp_proxy.cluster")!), "messages");
  assert.equal(f(msg("made.up.key"), { stream, contextId: 2, worker: 0, plugin: null }).result, WasmResult.NotFound);
  assert.equal(f(Uint8Array.of(0x0a, 0x50), { stream, contextId: 2, worker: 0, plugin: null }).result, WasmResult.BadArgument);
});

test("properties: source.address from the stream, plugin_root_id, and set_property values read back", async () => {
  const { plugin, infos } = await services({ workers: 1 });
  const s = plugin.createHttpStream({ properties: { "source.address": "10.0.0.1:5555" } });
  s.callOnRequestHeaders(get("/prop"));
  assert.deepEqual(infos(), ["10.0.0.1:5555", "svc", "v1"]);
  assert.equal(str(s.filterState.get("wasm.wat_state")!), "v1");
});

test("ticks follow the clock: a period set by proxy_set_tick_period_milliseconds fires every period", async () => {
  const host = new Host();
  const plugin = await host.loadPlugin({ wasm: await fixture("filter.wat"), rootId: "f", workers: 1 });
  host.advance(2500);
  assert.equal(host.stats.get("wasmcustom.wat.ticks"), 2);
  plugin.tick();
  assert.equal(host.stats.get("wasmcustom.wat.ticks"), 3, "Plugin.tick calls proxy_on_tick now");
});
