// The rest of the callback surface in the host: TCP contexts, unary gRPC answered to the stream
// that asked, shared-queue notifications, foreign-function calls, and abort routed to a
// critical log line and a trap (AssemblyScript's env.abort is not an import Envoy provides).
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { Host, ManualClock, PeerType, type HeaderList } from "../../../envoy-test/host/index.ts";
import { buildFixture } from "../../support/compile.ts";

let probe = "";
before(async () => { probe = await buildFixture("test/fixtures/sdk/probe.ts"); });

const get = (path: string): HeaderList => [[":method", "GET"], [":path", path], [":authority", "svc"], [":scheme", "http"]];
const values = (h: HeaderList, name: string) => h.filter(([k]) => k === name).map(([, v]) => v);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe("TCP contexts", () => {
  test("a network root gets connection, data and close callbacks on its TCP context", async () => {
    const host = new Host({ clock: new ManualClock() });
    const p = await host.loadPlugin({ wasm: probe, rootId: "probe_tcp", kind: "network", workers: 1 });
    const c = p.createTcpConnection();
    c.callOnNewConnection();
    assert.equal(host.stats.get("wasmcustom.probe.tcp.open"), 1);
    c.callOnDownstreamData(new TextEncoder().encode("ping"), false);
    assert.equal(text(c.downstreamData), "[ping]");
    c.callOnUpstreamData(new TextEncoder().encode("pong!"), false);
    assert.equal(text(c.upstreamData), "up:5");
    c.callOnDownstreamClose(PeerType.Remote);
    assert.equal(host.stats.get("wasmcustom.probe.tcp.open"), 0);
    assert.deepEqual(host.logs("info").map((e) => e.message), ["downstream closed by peer 2"]);
  });
});

describe("gRPC", () => {
  test("a unary call's reply reaches the handler of the stream that made it", async () => {
    const host = new Host({ clock: new ManualClock() });
    const p = await host.loadPlugin({ wasm: probe, rootId: "probe_a", workers: 1 });
    const s = p.createHttpStream();
    s.callOnRequestHeaders(get("/grpc"));
    const [call] = host.pendingCallouts();
    assert.equal(call.kind, "grpc");
    assert.equal(call.cluster, "grpc_svc");
    assert.equal(call.service, "probe.Checker");
    assert.equal(call.method, "Check");
    assert.equal(text(call.body), "question");
    call.respond({ body: "answer" });
    assert.deepEqual(values(s.requestHeaders, "x-grpc-reply"), ["answer"]);
    assert.deepEqual(s.continued, [0]);
  });

  test("a failed unary call reaches onClose with its status", async () => {
    const host = new Host({ clock: new ManualClock() });
    const p = await host.loadPlugin({ wasm: probe, rootId: "probe_a", workers: 1 });
    const s = p.createHttpStream();
    s.callOnRequestHeaders(get("/grpc"));
    host.pendingCallouts()[0].fail();
    assert.deepEqual(values(s.requestHeaders, "x-grpc-status"), ["14"]);
  });
});

describe("queues and foreign functions", () => {
  test("an enqueue from elsewhere reaches onQueueReady of the root that registered the queue", async () => {
    const host = new Host({ clock: new ManualClock() });
    await host.loadPlugin({ wasm: probe, rootId: "probe_a", workers: 1 });
    assert.equal(host.enqueue("", "probe_q", "hello queue"), 0);
    assert.deepEqual(host.logs("info").map((e) => e.message), ["queue mine: hello queue"]);
  });

  test("proxy_on_foreign_function reaches the root with its arguments", async () => {
    const host = new Host({ clock: new ManualClock() });
    const p = await host.loadPlugin({ wasm: probe, rootId: "probe_a", workers: 1 });
    p.callForeign(0, 7, new TextEncoder().encode("args!"));
    assert.deepEqual(host.logs("info").map((e) => e.message), ["foreign 7: args! (5 bytes)"]);
  });
});

describe("abort", () => {
  test("an AssemblyScript abort logs the message at critical and traps the VM", async () => {
    const host = new Host({ clock: new ManualClock() });
    const p = await host.loadPlugin({ wasm: probe, rootId: "probe_a", workers: 1 });
    const s = p.createHttpStream();
    try { s.callOnRequestHeaders(get("/abort")); } catch { /* the host may surface the trap */ }
    const critical = host.logs("critical").map((e) => e.message);
    assert.equal(critical.length, 1, critical.join("\n"));
    assert.match(critical[0], /^abort: probe asked to abort at test\/fixtures\/sdk\/probe\.ts:\d+:\d+$/);
    assert.equal(p.workers[0].failed, true);
  });
});
