// conn-accounting's per-key limit keys on what the client cannot forge, it counts only what
// Envoy takes for a websocket, and it counts the client's frames that arrive with the upgrade
// request, before the 101.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Host, ManualClock, FilterHeadersStatus, type HttpStream } from "../../../../envoy-test/host/index.ts";
import { ensureBuilt, VM_ID, upgrade, SWITCHING, stat, sharedCount, CLIENT_HELLO } from "../../../../bench/support/conn-accounting.ts";

async function load(config: object) {
  const wasm = await ensureBuilt();
  const host = new Host({ clock: new ManualClock() });
  const plugin = await host.loadPlugin({ wasm, rootId: "conn_accounting", vmId: VM_ID, configuration: JSON.stringify(config), workers: 2 });
  return { host, plugin };
}

test("by default the per-key limit keys on the source address, whatever X-Forwarded-For says", async () => {
  const { plugin } = await load({ services: [{ name: "messages", max_active_per_key: 2 }] });
  const from = (address: string, xff: string): HttpStream => {
    const s = plugin.createHttpStream({ properties: { "source.address": address } });
    s.callOnRequestHeaders(upgrade("messages", [["x-forwarded-for", xff]]), false);
    return s;
  };
  const a = from("198.51.100.7:40001", "10.0.0.1");
  const b = from("198.51.100.7:40002", "10.0.0.2");
  assert.equal(a.localResponse, null);
  assert.equal(b.localResponse, null);
  const c = from("198.51.100.7:40003", "10.0.0.3");   // a third rotating XFF value: same client
  assert.equal(c.localResponse?.status, 503);
  const d = from("[2001:db8::1]:40004", "10.0.0.1");  // another client, even with a used XFF value
  assert.equal(d.localResponse, null);
  a.complete();
  const e = from("198.51.100.7:40005", "10.0.0.9");   // a slot freed: admitted again
  assert.equal(e.localResponse, null);
  for (const s of [b, c, d, e]) s.complete();
});

test("limit_key_header: x-forwarded-for (or forwarded) is refused: the client writes those", async () => {
  for (const header of ["X-Forwarded-For", "forwarded"]) {
    const wasm = await ensureBuilt();
    const host = new Host({ clock: new ManualClock() });
    await assert.rejects(host.loadPlugin({ wasm, rootId: "conn_accounting", vmId: VM_ID,
      configuration: JSON.stringify({ limit_key_header: header, default_max_active_per_key: 1 }) }));
    assert.match(host.logs().map((l) => l.message).join("\n"), /limit_key_header: ".*" holds client-supplied addresses/, header);
  }
});

test("an explicitly configured header key is used as given (trusted: set by a proxy in front)", async () => {
  const { plugin } = await load({ limit_key_header: "x-slack-user", services: [{ name: "messages", max_active_per_key: 1 }] });
  const as = (user: string, address: string) => {
    const s = plugin.createHttpStream({ properties: { "source.address": address } });
    s.callOnRequestHeaders(upgrade("messages", [["x-slack-user", user]]), false);
    return s;
  };
  const a = as("U1", "198.51.100.7:1");
  const b = as("U2", "198.51.100.7:2");
  const c = as("U1", "198.51.100.8:3");
  assert.deepEqual([a.localResponse, b.localResponse, c.localResponse?.status], [null, null, 503]);
  for (const s of [a, b, c]) s.complete();
});

test("Upgrade: h2c, websocket is not a websocket to Envoy, so it is not counted or limited", async () => {
  const { host, plugin } = await load({ services: [{ name: "messages", max_active: 1 }] });
  const held = plugin.createHttpStream();
  held.callOnRequestHeaders(upgrade("messages"), false);
  assert.equal(sharedCount(host, "wss.cx.messages"), 1);
  const s = plugin.createHttpStream();
  const h = upgrade("messages").map(([k, v]): [string, string] => [k, k === "upgrade" ? "h2c, websocket" : v]);
  assert.equal(s.callOnRequestHeaders(h, false), FilterHeadersStatus.Continue);
  assert.equal(s.localResponse, null, "not refused by the websocket limit");
  assert.equal(sharedCount(host, "wss.cx.messages"), 1);
  const noConnection = plugin.createHttpStream();
  noConnection.callOnRequestHeaders(upgrade("messages").filter(([k]) => k !== "connection"), false);
  assert.equal(noConnection.localResponse, null);
  for (const x of [held, s, noConnection]) x.complete();
  assert.equal(stat(host, "wss.messages.cx_total"), 0);
});

test("client frames that arrive with the upgrade request, before the 101, are counted once it comes", async () => {
  const { host, plugin } = await load({ services: [{ name: "apps" }] });
  const s = plugin.createHttpStream();
  s.callOnRequestHeaders(upgrade("apps"), false);
  const early = new Uint8Array(CLIENT_HELLO.length * 7);
  for (let i = 0; i < 7; i++) early.set(CLIENT_HELLO, i * CLIENT_HELLO.length);
  s.callOnRequestBody(early.subarray(0, 20), false);   // split mid-frame, as TCP may deliver it
  s.callOnRequestBody(early.subarray(20), false);
  s.callOnResponseHeaders(SWITCHING, false);
  s.callOnRequestBody(CLIENT_HELLO, false);
  s.complete();
  assert.equal(stat(host, "wss.apps.rx_frames"), 8);
  assert.equal(stat(host, "wss.apps.rx_bytes"), early.length + CLIENT_HELLO.length);
});

test("bytes before a response that is not a 101 are an HTTP body: not counted as websocket traffic", async () => {
  const { host, plugin } = await load({ services: [{ name: "apps" }] });
  const s = plugin.createHttpStream();
  s.callOnRequestHeaders(upgrade("apps"), false);
  s.callOnRequestBody(CLIENT_HELLO, false);
  s.callOnResponseHeaders([[":status", "403"]], true);
  s.complete();
  assert.deepEqual([stat(host, "wss.apps.rx_frames"), stat(host, "wss.apps.rx_bytes"), stat(host, "wss.apps.cx_total")], [0, 0, 0]);
});
