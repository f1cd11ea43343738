// conn-accounting (root id conn_accounting) in the Envoy-like host with two worker VMs:
// counting, release on every way a stream ends, limits, Retry-After, frames and bytes.
import { test, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { Host, ManualClock, FilterHeadersStatus, type Plugin, type HttpStream } from "../../../../envoy-test/host/index.ts";
import {
  ensureBuilt, HTTP_CONFIG, VM_ID, upgrade, SWITCHING, stat, sharedCount,
  CLIENT_HELLO, SERVER_HELLO, SERVER_FRAGMENTED, SERVER_BINARY_256, hex,
} from "../../../../bench/support/conn-accounting.ts";

let host: Host;
let plugin: Plugin;

beforeEach(async () => {
  const wasm = await ensureBuilt();
  host = new Host({ clock: new ManualClock() });
  plugin = await host.loadPlugin({ wasm, rootId: "conn_accounting", vmId: VM_ID, configuration: HTTP_CONFIG, workers: 2 });
});

function open(service: string | null, worker = 0, extra: [string, string][] = []): HttpStream {
  const s = plugin.createHttpStream({ worker });
  const status = s.callOnRequestHeaders(upgrade(service, extra), false);
  assert.equal(s.localResponse, null, `unexpected local reply ${s.localResponse?.status}`);
  assert.equal(status, FilterHeadersStatus.Continue);
  return s;
}

function upgraded(service: string | null, worker = 0, extra: [string, string][] = []): HttpStream {
  const s = open(service, worker, extra);
  s.callOnResponseHeaders(SWITCHING, false);
  return s;
}

test("an upgrade answered 101 counts as active for its service until the stream ends", () => {
  const s = upgraded("presence", 1);
  assert.equal(stat(host, "wss.presence.cx_active"), 1);
  assert.equal(stat(host, "wss.presence.cx_total"), 1);
  assert.equal(sharedCount(host, "wss.cx.presence"), 1);
  s.complete();
  assert.equal(stat(host, "wss.presence.cx_active"), 0);
  assert.equal(stat(host, "wss.presence.cx_total"), 1);
  assert.equal(sharedCount(host, "wss.cx.presence"), 0);
});

test("the counts of configured services and the fallback exist at 0 before any traffic", () => {
  const data = host.sharedData(VM_ID);
  for (const svc of ["messages", "presence", "apps", "unknown"]) {
    assert.deepEqual([...data.get(`wss.cx.${svc}`)!.value], [0, 0, 0, 0, 0, 0, 0, 0], `wss.cx.${svc}`);
  }
});

test("a stream without x-wss-service is counted under the fallback service unknown", () => {
  const s = upgraded(null);
  assert.equal(stat(host, "wss.unknown.cx_active"), 1);
  assert.equal(sharedCount(host, "wss.cx.unknown"), 1);
  s.complete();
  assert.equal(stat(host, "wss.unknown.cx_active"), 0);
  assert.equal(sharedCount(host, "wss.cx.unknown"), 0);
});

test("a service name with a dot is counted under a stat-safe name", () => {
  const s = upgraded("team.a");
  assert.equal(stat(host, "wss.team_a.cx_active"), 1);
  s.complete();
});

test("a non-upgrade request is not counted", () => {
  const s = plugin.createHttpStream();
  s.callOnRequestHeaders([[":method", "GET"], [":path", "/messages"], [":authority", "x"], ["x-wss-service", "messages"]], true);
  s.callOnResponseHeaders([[":status", "200"]], true);
  assert.equal(sharedCount(host, "wss.cx.messages"), 0);
  assert.equal(stat(host, "wss.messages.cx_total"), 0);
  s.complete();
});

test("a reservation whose 101 never comes is released exactly once (backend 404, upstream 503, client abort)", () => {
  const kept = upgraded("presence", 1);                 // a double release would show against it
  const a = open("presence");
  a.callOnResponseHeaders([[":status", "404"]], true);
  const b = open("presence");
  b.callOnResponseHeaders([[":status", "503"], ["content-type", "text/plain"]], false);
  const c = open("presence");                       // client went away before any response
  assert.equal(sharedCount(host, "wss.cx.presence"), 4);
  a.complete(); b.complete(); c.complete();
  assert.equal(sharedCount(host, "wss.cx.presence"), 1);
  assert.equal(stat(host, "wss.presence.cx_active"), 1);
  assert.equal(stat(host, "wss.presence.cx_total"), 1);
  kept.complete();
  assert.equal(sharedCount(host, "wss.cx.presence"), 0);
});

test("over the service limit the upgrade gets 503 with a jittered Retry-After before it continues", () => {
  const held = [upgraded("messages", 0), upgraded("messages", 1), open("messages", 0)]; // max_active 3
  const s = plugin.createHttpStream({ worker: 1 });
  const status = s.callOnRequestHeaders(upgrade("messages"), false);
  assert.notEqual(status, FilterHeadersStatus.Continue, "the request must not continue upstream");
  assert.equal(s.localResponse?.status, 503);
  const retry = s.localResponse!.headers.filter(([k]) => k.toLowerCase() === "retry-after");
  assert.equal(retry.length, 1);
  const secs = Number(retry[0][1]);
  assert.ok(Number.isInteger(secs) && secs >= 5 && secs <= 15, `Retry-After ${retry[0][1]} outside 10 +/- 5`);
  assert.equal(stat(host, "wss.messages.cx_rejected"), 1);
  s.callOnResponseHeaders([[":status", "503"]], false); // the local reply passes the encoder path
  s.complete();
  assert.equal(sharedCount(host, "wss.cx.messages"), 3, "a rejected stream releases nothing it did not take");
  for (const h of held) h.complete();
  assert.equal(sharedCount(host, "wss.cx.messages"), 0);
  assert.equal(stat(host, "wss.messages.cx_active"), 0);
});

test("rejected clients get Retry-After values spread over the window", () => {
  const held = [open("messages"), open("messages"), open("messages")];
  const seen = new Set<string>();
  for (let i = 0; i < 60; i++) {
    const s = plugin.createHttpStream({ worker: i % 2 });
    s.callOnRequestHeaders(upgrade("messages"), false);
    seen.add(s.localResponse!.headers.find(([k]) => k === "retry-after")![1]);
    s.complete();
  }
  assert.ok(seen.size >= 6, `only ${seen.size} distinct Retry-After values in 60 rejections: ${[...seen]}`);
  for (const h of held) h.complete();
});

test("a slot freed on one worker is usable on the other at once", () => {
  const a = upgraded("messages", 0), b = upgraded("messages", 1), c = upgraded("messages", 0);
  b.complete();
  const d = upgraded("messages", 1);
  assert.equal(sharedCount(host, "wss.cx.messages"), 3);
  for (const s of [a, c, d]) s.complete();
});

test("the per-key limit rejects a third socket of one user and admits another user", () => {
  const u1 = [upgraded("messages", 0, [["x-slack-user", "U1"]]), upgraded("messages", 1, [["x-slack-user", "U1"]])];
  const third = plugin.createHttpStream({ worker: 0 });
  third.callOnRequestHeaders(upgrade("messages", [["x-slack-user", "U1"]]), false);
  assert.equal(third.localResponse?.status, 503);
  third.complete();
  assert.equal(sharedCount(host, "wss.cx.messages"), 2, "the service slot taken before the key check is given back");
  const u2 = upgraded("messages", 1, [["x-slack-user", "U2"]]);
  assert.equal(sharedCount(host, "wss.cx.messages"), 3);
  for (const s of [...u1, u2]) s.complete();
  assert.equal(sharedCount(host, "wss.cx.messages"), 0);
  const keys = [...host.sharedData(VM_ID).keys()].filter((k) => k.startsWith("wss.cx.messages.key."));
  assert.equal(keys.length, 2);
  for (const k of keys) assert.equal(sharedCount(host, k), 0, `${k} released`);
});

test("frames are counted each way across every two-chunk split, and bytes each way", () => {
  const client = CLIENT_HELLO, server = new Uint8Array([...SERVER_HELLO, ...SERVER_FRAGMENTED, ...SERVER_BINARY_256]);
  let streams = 0;
  for (let cut = 0; cut <= server.length; cut += 1) {
    const s = upgraded("apps", cut % 2);
    const c = Math.min(cut, client.length);
    s.callOnRequestBody(client.subarray(0, c), false);
    s.callOnRequestBody(client.subarray(c), false);
    s.callOnResponseBody(server.subarray(0, cut), false);
    s.callOnResponseBody(server.subarray(cut), false);
    s.complete();
    streams++;
  }
  assert.equal(stat(host, "wss.apps.rx_frames"), streams * 1);
  assert.equal(stat(host, "wss.apps.tx_frames"), streams * 4);
  assert.equal(stat(host, "wss.apps.rx_bytes"), streams * client.length);
  assert.equal(stat(host, "wss.apps.tx_bytes"), streams * server.length);
});

test("a frame larger than many chunks is counted once, and the frames after it too", () => {
  // 70,000-byte binary frame: 127 then a 64-bit length (RFC 6455 5.2), then "Hello".
  const big = new Uint8Array(10 + 70000);
  big.set([0x82, 0x7f, 0, 0, 0, 0, 0, 0x01, 0x11, 0x70]);
  const all = new Uint8Array([...big, ...SERVER_HELLO]);
  const s = upgraded("apps");
  for (let o = 0; o < all.length; o += 1024) s.callOnResponseBody(all.subarray(o, o + 1024), false);
  s.complete();
  assert.equal(stat(host, "wss.apps.tx_frames"), 2);
  assert.equal(stat(host, "wss.apps.tx_bytes"), all.length);
});

test("frame and byte counts of a long-lived socket reach the stats on the root tick", () => {
  const s = upgraded("apps");
  s.callOnResponseBody(SERVER_HELLO, false);
  s.callOnRequestBody(CLIENT_HELLO, false);
  assert.equal(stat(host, "wss.apps.tx_frames"), 0, "batched in the VM until the tick");
  plugin.tick();
  assert.equal(stat(host, "wss.apps.tx_frames"), 1);
  assert.equal(stat(host, "wss.apps.rx_frames"), 1);
  assert.equal(stat(host, "wss.apps.tx_bytes"), SERVER_HELLO.length);
  s.complete();
});

test("compressed frames (RSV1) are counted when the 101 accepted permessage-deflate", () => {
  // RFC 7692 7.2.3.1: "Hello" compressed, RSV1 set: c1 07 f2 48 cd c9 c9 07 00
  const compressed = hex("c1 07 f2 48 cd c9 c9 07 00");
  const s = open("apps");
  s.callOnResponseHeaders([...SWITCHING, ["sec-websocket-extensions", "permessage-deflate; client_max_window_bits"]], false);
  s.callOnResponseBody(compressed, false);
  s.complete();
  assert.equal(stat(host, "wss.apps.tx_frames"), 1);
  const plain = upgraded("apps");                      // no extension: RSV1 is a framing error
  plain.callOnResponseBody(compressed, false);
  plain.complete();
  assert.equal(stat(host, "wss.apps.tx_frames"), 1);
});

test("invalid framing stops frame counting for that direction and keeps counting bytes", () => {
  const s = upgraded("apps");
  s.callOnResponseBody(new Uint8Array([0x83, 0x00]), false); // reserved opcode 3
  s.callOnResponseBody(SERVER_HELLO, false);
  s.callOnRequestBody(CLIENT_HELLO, false);
  s.complete();
  assert.equal(stat(host, "wss.apps.tx_frames"), 0);
  assert.equal(stat(host, "wss.apps.tx_bytes"), 2 + SERVER_HELLO.length);
  assert.equal(stat(host, "wss.apps.rx_frames"), 1);
  assert.ok(host.logs("warn").some((e) => /server frames unreadable at byte 0/.test(e.message)));
});

test("bad configuration fails on_configure and the log names the key", async () => {
  const h = new Host({ clock: new ManualClock() });
  const wasm = await ensureBuilt();
  await assert.rejects(h.loadPlugin({ wasm, rootId: "conn_accounting", vmId: VM_ID,
    configuration: JSON.stringify({ services: [{ name: "messages", max_active: "ten" }] }) }));
  assert.ok(h.logs("error").some((e) => e.message.includes("services[0].max_active: expected integer")),
    JSON.stringify(h.logs("error")));
});

test("a worker VM that traps keeps its slots: counts over-report but the limit still holds on the other worker", () => {
  const a = upgraded("messages", 0), b = upgraded("messages", 0), c = upgraded("messages", 1); // max_active 3
  // A trap in worker 0 (cpp-host WasmBase::fail): no later callback reaches that VM.
  plugin.workers[0].vm.fail("proxy_on_response_body", new Error("RuntimeError: unreachable"));
  a.complete(); b.complete();
  assert.equal(sharedCount(host, "wss.cx.messages"), 3, "slots of the failed VM are never released");
  assert.equal(stat(host, "wss.messages.cx_active"), 3);
  const s = plugin.createHttpStream({ worker: 1 });
  s.callOnRequestHeaders(upgrade("messages"), false);
  assert.equal(s.localResponse?.status, 503, "the healthy worker never over-admits");
  s.complete();
  c.complete();
  assert.equal(sharedCount(host, "wss.cx.messages"), 2);
});
