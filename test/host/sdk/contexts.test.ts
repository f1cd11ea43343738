// The SDK in the Envoy-like host: root ids, context dispatch, headers, bodies, properties,
// shared data, local replies and callouts answered to the stream that made them.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { Host, ManualClock, PluginLoadError, type HeaderList } from "../../../envoy-test/host/index.ts";
import { buildFixture } from "../../support/compile.ts";

let probe = "";
before(async () => { probe = await buildFixture("test/fixtures/sdk/probe.ts"); });

const get = (path: string): HeaderList => [[":method", "GET"], [":path", path], [":authority", "svc"], [":scheme", "http"]];
const values = (h: HeaderList, name: string) => h.filter(([k]) => k === name).map(([, v]) => v);

describe("root ids", () => {
  test("one module serves two root ids, each plugin with its own root context", async () => {
    const host = new Host({ clock: new ManualClock() });
    const a = await host.loadPlugin({ wasm: probe, rootId: "probe_a", workers: 1 });
    const b = await host.loadPlugin({ wasm: probe, rootId: "probe_b", workers: 1 });
    const sa = a.createHttpStream();
    sa.callOnRequestHeaders(get("/"));
    sa.callOnResponseHeaders([[":status", "200"]]);
    const sb = b.createHttpStream();
    sb.callOnRequestHeaders(get("/"));
    sb.callOnResponseHeaders([[":status", "200"]]);
    assert.deepEqual(values(sa.responseHeaders, "x-root"), ["a"]);
    assert.deepEqual(values(sb.responseHeaders, "x-root"), ["b"]);
    assert.equal(host.stats.get("wasmcustom.probe.a.requests"), 1);
    assert.equal(host.stats.get("wasmcustom.probe.b.requests"), 1);
  });

  test("an unregistered root id fails configuration with an error naming it and the registered ones", async () => {
    const host = new Host({ clock: new ManualClock() });
    await assert.rejects(host.loadPlugin({ wasm: probe, rootId: "nope", workers: 1 }), PluginLoadError);
    const errors = host.logs("error").map((e) => e.message);
    assert.ok(errors.some((m) => m === 'no root context registered for root_id "nope" (registered: "probe_tcp", "probe_a", "probe_b")'), errors.join("\n"));
  });

  test("the root context reads its own root id from the plugin_root_id property", async () => {
    const host = new Host({ clock: new ManualClock() });
    const b = await host.loadPlugin({ wasm: probe, rootId: "probe_b", workers: 1 });
    const s = b.createHttpStream({ properties: { "source.port": 5555 } });
    s.callOnRequestHeaders(get("/props"));
    assert.deepEqual(values(s.requestHeaders, "x-root-id"), ["probe_b"]);
    assert.deepEqual(values(s.requestHeaders, "x-port"), ["5555"]);
  });
});

describe("headers and bodies", () => {
  test("all() returns every pair and setAll() replaces the map", async () => {
    const host = new Host({ clock: new ManualClock() });
    const p = await host.loadPlugin({ wasm: probe, rootId: "probe_a", workers: 1 });
    const s = p.createHttpStream();
    s.callOnRequestHeaders([...get("/all"), ["x-dup", "1"], ["x-dup", "2"]]);
    assert.deepEqual(values(s.requestHeaders, "x-count"), ["6"]);
    assert.deepEqual(values(s.requestHeaders, "x-dup"), ["1", "2"]);
    assert.deepEqual(values(s.requestHeaders, "x-set-all"), ["1"]);
  });

  test("body prepend/append and whole-body replace follow Envoy's start/length rules", async () => {
    const host = new Host({ clock: new ManualClock() });
    const p = await host.loadPlugin({ wasm: probe, rootId: "probe_a", workers: 1 });
    const s = p.createHttpStream();
    s.callOnRequestHeaders(get("/body"));
    s.callOnRequestBody(new TextEncoder().encode("abc"), true);
    assert.equal(new TextDecoder().decode(s.requestBody), "<abc>");
    s.callOnResponseHeaders([[":status", "200"]]);
    s.callOnResponseBody(new TextEncoder().encode("original body"), true);
    assert.equal(new TextDecoder().decode(s.responseBody), "replaced");
  });

  test("header names and values of any size arrive intact (large, then small, then read back)", async () => {
    const host = new Host({ clock: new ManualClock() });
    const p = await host.loadPlugin({ wasm: probe, rootId: "probe_a", workers: 1 });
    const s = p.createHttpStream();
    s.callOnRequestHeaders(get("/big"));
    assert.deepEqual(values(s.requestHeaders, "x-big"), ["é".repeat(10000)]);
    assert.deepEqual(values(s.requestHeaders, "x-small"), ["b"]);
    assert.deepEqual(values(s.requestHeaders, "x-big-length"), ["10000"]);
  });

  test("getRawPtr hands over the requested byte range of a body chunk, clipped, with its length", async () => {
    const host = new Host({ clock: new ManualClock() });
    const p = await host.loadPlugin({ wasm: probe, rootId: "probe_a", workers: 1 });
    const s = p.createHttpStream();
    s.callOnRequestHeaders(get("/raw"));
    s.callOnRequestBody(new TextEncoder().encode("abcdef"), false);
    assert.equal(new TextDecoder().decode(s.requestBody), "bcd");
    const t = p.createHttpStream();
    t.callOnRequestHeaders(get("/raw"));
    t.callOnRequestBody(new TextEncoder().encode("ab"), false);
    assert.equal(new TextDecoder().decode(t.requestBody), "b");
  });

  test("a local reply carries status, details, body and headers", async () => {
    const host = new Host({ clock: new ManualClock() });
    const p = await host.loadPlugin({ wasm: probe, rootId: "probe_a", workers: 1 });
    const s = p.createHttpStream();
    s.callOnRequestHeaders(get("/deny"));
    assert.ok(s.localResponse);
    assert.equal(s.localResponse.status, 403);
    assert.equal(s.localResponse.details, "probe_denied");
    assert.equal(new TextDecoder().decode(s.localResponse.body), "denied\n");
    assert.deepEqual(values(s.localResponse.headers, "x-why"), ["probe"]);
  });
});

describe("shared data", () => {
  test("updateSharedData writes what the update returns and stops when it returns null", async () => {
    const host = new Host({ clock: new ManualClock() });
    const p = await host.loadPlugin({ wasm: probe, rootId: "probe_a", workers: 2 });
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      const s = p.createHttpStream({ worker: i % 2 });
      s.callOnRequestHeaders(get("/update"));
      seen.push(`${values(s.requestHeaders, "x-written")[0]}/${values(s.requestHeaders, "x-stored")[0]}`);
    }
    assert.deepEqual(seen, ["a/a", "ab/ab", "abc/abc", "null/abc"]);
  });

  test("sharedAdd counts across worker VMs and refuses to cross its bound", async () => {
    const host = new Host({ clock: new ManualClock() });
    const p = await host.loadPlugin({ wasm: probe, rootId: "probe_a", workers: 2 });
    const s1 = p.createHttpStream({ worker: 0 });
    s1.callOnRequestHeaders(get("/count"));
    const s2 = p.createHttpStream({ worker: 1 });
    s2.callOnRequestHeaders(get("/count"));
    const s3 = p.createHttpStream({ worker: 0 });
    s3.callOnRequestHeaders(get("/count"));
    assert.deepEqual(values(s1.requestHeaders, "x-active"), ["1"]);
    assert.deepEqual(values(s2.requestHeaders, "x-active"), ["2"]);
    assert.deepEqual(values(s3.requestHeaders, "x-active"), [String(-(2n ** 63n))]);
    s1.complete();
    const v = host.sharedData("").get("probe.active");
    assert.ok(v);
    assert.equal(Buffer.from(v.value).readBigInt64LE(0), 1n);
  });
});

describe("callouts", () => {
  test("a root context's callout (from a tick) comes back to the root's handler", async () => {
    const host = new Host({ clock: new ManualClock() });
    const p = await host.loadPlugin({ wasm: probe, rootId: "probe_b", workers: 1 });
    p.tick(0);
    const [c] = host.pendingCallouts();
    assert.equal(c.cluster, "admin");
    c.respond({ headers: [[":status", "200"]] });
    assert.deepEqual(host.logs("info").map((e) => e.message), ["root b callout answered 200"]);
  });

  test("an HTTP callout made by a stream is answered to that stream's handler, which resumes it", async () => {
    const host = new Host({ clock: new ManualClock() });
    const p = await host.loadPlugin({ wasm: probe, rootId: "probe_a", workers: 1 });
    const s = p.createHttpStream();
    const status = s.callOnRequestHeaders(get("/callout"));
    assert.notEqual(status, 0, "the stream waits for the callout");
    const pending = host.pendingCallouts();
    assert.equal(pending.length, 1);
    assert.equal(pending[0].cluster, "auth");
    assert.deepEqual(values(pending[0].headers, ":path"), ["/check"]);
    pending[0].respond({ headers: [[":status", "204"]], body: "ok" });
    assert.deepEqual(values(s.requestHeaders, "x-auth-status"), ["204"]);
    assert.deepEqual(values(s.requestHeaders, "x-auth-body"), ["ok"]);
    assert.deepEqual(values(s.requestHeaders, "x-auth-context"), ["stream"]);
    assert.deepEqual(s.continued, [0], "continueStream(HttpRequest) reached the stream");
  });

  test("a callout answered after its stream was deleted is ignored", async () => {
    const host = new Host({ clock: new ManualClock() });
    const p = await host.loadPlugin({ wasm: probe, rootId: "probe_a", workers: 1 });
    const s = p.createHttpStream();
    s.callOnRequestHeaders(get("/callout"));
    s.complete();
    const [c] = host.pendingCallouts();
    c.respond({ headers: [[":status", "200"]] });
    assert.equal(p.workers[0].failed, false);
    assert.deepEqual(host.logs("error"), []);
  });
});
