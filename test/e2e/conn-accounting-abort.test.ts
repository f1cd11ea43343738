// conn-accounting through the local gateway at the edges of a stream's life: a client that gives up
// while its upstream has not answered the upgrade, and websocket frames that arrive in the same
// socket write as the upgrade request. build/conn-accounting.wasm and build/ws-router.wasm in the
// HCM, a probe filter (WebAssembly text) in front of them that logs each callback it gets.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket, { WebSocketServer } from "ws";
import { startGateway, type Gateway } from "../../envoy-test/gateway/index.ts";
import { startBackends, type Backends } from "../../envoy-test/backends/index.ts";
import { ensureBuilt as buildRouter } from "../../bench/support/ws-router.ts";
import { ensureBuilt as buildAccounting } from "../../bench/support/conn-accounting.ts";
import { assemble } from "../support/wat.ts";
import { wasmFilterEntry } from "../../envoy-test/config/index.ts";

// Logs "probe:<callback>" for each HTTP stream callback; Continue everywhere.
const PROBE = `(module
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 4096))
  (data (i32.const 100) "probe:request_headers")
  (data (i32.const 130) "probe:request_body")
  (data (i32.const 150) "probe:response_headers")
  (data (i32.const 180) "probe:response_body")
  (data (i32.const 200) "probe:done")
  (data (i32.const 220) "probe:log")
  (data (i32.const 240) "probe:delete")
  (func (export "proxy_abi_version_0_2_0"))
  (func (export "malloc") (param $size i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.and (i32.add (i32.add (local.get $p) (local.get $size)) (i32.const 7)) (i32.const -8)))
    (local.get $p))
  (func $say (param $p i32) (param $n i32) (drop (call $log (i32.const 2) (local.get $p) (local.get $n))))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (call $say (i32.const 100) (i32.const 21)) (i32.const 0))
  (func (export "proxy_on_request_body") (param i32 i32 i32) (result i32) (call $say (i32.const 130) (i32.const 18)) (i32.const 0))
  (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32) (call $say (i32.const 150) (i32.const 22)) (i32.const 0))
  (func (export "proxy_on_response_body") (param i32 i32 i32) (result i32) (call $say (i32.const 180) (i32.const 19)) (i32.const 0))
  (func (export "proxy_on_done") (param i32) (result i32) (call $say (i32.const 200) (i32.const 10)) (i32.const 1))
  (func (export "proxy_on_log") (param i32) (call $say (i32.const 220) (i32.const 9)))
  (func (export "proxy_on_delete") (param i32) (call $say (i32.const 240) (i32.const 12))))`;

const ROUTER_CONFIG = JSON.stringify({
  services: [{ name: "messages", cluster: "messages" }, { name: "solo", cluster: "slow" }],
  routes: [{ prefix: "/messages", service: "messages" }, { prefix: "/solo", service: "solo" }],
});
const ACCOUNTING_CONFIG = JSON.stringify({ retry_after_s: 30, retry_after_jitter_s: 0, services: [{ name: "solo", max_active: 1 }, { name: "messages" }] });

let backends: Backends;
let slow: WebSocketServer;
/** while set, the slow backend holds each upgrade unanswered */
let hang = true;
const held: (() => void)[] = [];
let gateway: Gateway;
let port: number;
let dir: string;

const address = (a: string, p: number) => ({ socket_address: { address: a, port_value: p } });

const wasmFilter = (filename: string, rootId: string, configuration: string, vmId: string) =>
  wasmFilterEntry("http", { name: rootId, rootId, vmId, filename, configuration });

before(async () => {
  const [router, accounting] = [await buildRouter(), await buildAccounting()];
  dir = mkdtempSync(join(tmpdir(), "abort-probe-"));
  const probe = join(dir, "probe.wasm");
  writeFileSync(probe, await assemble(PROBE, "probe.wat"));
  backends = await startBackends({ basePort: 0, services: ["messages"], instancesPerService: 1, pingIntervalMs: 600_000 });
  slow = new WebSocketServer({
    host: "127.0.0.1", port: 0,
    verifyClient: (_info, cb) => { if (hang) held.push(() => cb(false, 503)); else cb(true); },
  });
  slow.on("connection", (ws) => ws.send("hello"));
  await new Promise<void>((r) => slow.once("listening", () => r()));
  const slowPort = (slow.address() as net.AddressInfo).port;
  gateway = await startGateway({
    workers: 1,
    config: {
      admin: { address: address("127.0.0.1", 0) },
      static_resources: {
        listeners: [{
          name: "public", address: address("127.0.0.1", 0),
          filter_chains: [{ filters: [{
            name: "envoy.filters.network.http_connection_manager",
            typed_config: {
              "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
              stat_prefix: "public",
              upgrade_configs: [{ upgrade_type: "websocket" }],
              route_config: { name: "wss", virtual_hosts: [{ name: "wss", domains: ["*"], routes: [{
                match: { prefix: "/" },
                route: { cluster_header: "x-wss-cluster", timeout: "0s" },
                request_headers_to_remove: ["x-wss-cluster", "x-wss-service"],
              }] }] },
              http_filters: [
                wasmFilter(probe, "probe", "", "probe"),
                wasmFilter(router, "ws_router", ROUTER_CONFIG, "wss"),
                wasmFilter(accounting, "conn_accounting", ACCOUNTING_CONFIG, "wss"),
                { name: "envoy.filters.http.router", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" } },
              ],
            },
          }] }],
        }],
        clusters: [
          { name: "messages", type: "STATIC", connect_timeout: "1s", load_assignment: { cluster_name: "messages", endpoints: [{ lb_endpoints: backends.endpoints("messages").map((e) => ({ endpoint: { address: address(e.address, e.port) } })) }] } },
          { name: "slow", type: "STATIC", connect_timeout: "1s", load_assignment: { cluster_name: "slow", endpoints: [{ lb_endpoints: [{ endpoint: { address: address("127.0.0.1", slowPort) } }] }] } },
        ],
      },
    },
  });
  port = gateway.listenerAddress("public").port;
});

after(async () => {
  await gateway?.close();
  await backends?.close();
  for (const c of slow?.clients ?? []) c.terminate();
  await new Promise<void>((r) => (slow ? slow.close(() => r()) : r()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const stat = (name: string) => gateway.stats.get(`wasmcustom.${name}`) ?? 0;
const probeLog = () => gateway.host.logs().map((e) => e.message).filter((m) => m.startsWith("probe:"));

async function until(what: string, cond: () => boolean, limitMs = 20_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`still waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const upgrade = (path: string) =>
  `GET ${path} HTTP/1.1\r\nhost: gw\r\nupgrade: websocket\r\nconnection: Upgrade\r\n` +
  "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n";

/** A client frame (masked, RFC 6455 section 5.3) with a payload under 126 bytes. */
function clientFrame(opcode: number, payload: Buffer): Buffer {
  const mask = Buffer.from([1, 2, 3, 4]);
  const body = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]));
  return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | payload.length]), mask, body]);
}

test("a client that closes while its upstream hangs: probe sees log, done, delete; the solo slot is released and a new upgrade gets it", async () => {
  const before = { active: stat("wss.solo.cx_active"), reserved: stat("wss.solo.cx_reserved") };
  const logStart = probeLog().length;
  const c = net.connect(port, "127.0.0.1");
  c.on("error", () => {});
  c.write(upgrade("/solo"));
  await until("the upgrade waits at the slow backend", () => held.length === 1);
  assert.equal(stat("wss.solo.cx_reserved"), before.reserved + 1, "the slot is reserved at the request headers");
  assert.equal(stat("wss.solo.cx_active"), before.active, "not active before a 101");
  c.destroy();
  await until("the stream ended", () => probeLog().length - logStart === 4);
  // Envoy: doDeferredStreamDestroy runs the access log (Context::log → onLog) before destroyFilters
  // (Context::onDestroy → onDone, onDelete); no response callback for a stream reset downstream.
  assert.deepEqual(probeLog().slice(logStart), ["probe:request_headers", "probe:log", "probe:done", "probe:delete"]);
  await until("the reservation released", () => stat("wss.solo.cx_reserved") === before.reserved);
  assert.equal(stat("wss.solo.cx_active"), before.active);
  assert.equal(stat("wss.solo.cx_rejected"), 0);

  hang = false;
  const ws = await new Promise<WebSocket>((resolve, reject) => {
    const w = new WebSocket(`ws://127.0.0.1:${port}/solo`);
    w.once("message", () => resolve(w));
    w.once("unexpected-response", (_req, res) => reject(new Error(`/solo: ${res.statusCode}`)));
    w.once("error", reject);
  });
  assert.equal(stat("wss.solo.cx_active"), before.active + 1, "the freed slot admits the next upgrade (max_active 1)");
  await new Promise<void>((r) => { ws.once("close", () => r()); ws.close(); });
  await until("solo back to its value", () => stat("wss.solo.cx_active") === before.active && stat("wss.solo.cx_reserved") === before.reserved);
  for (const release of held.splice(0)) release();
});

test("websocket frames in the same write as the upgrade request are counted in rx_frames", async () => {
  const before = { frames: stat("wss.messages.rx_frames"), bytes: stat("wss.messages.rx_bytes") };
  const c = net.connect(port, "127.0.0.1");
  c.on("error", () => {});
  let got = "";
  c.on("data", (d) => { got += d.toString("latin1"); });
  const closed = new Promise<void>((r) => c.once("close", () => r()));
  // One write: the upgrade request, a text frame "hi" (2 + 4 + 2 bytes), a ping "p" (2 + 4 + 1).
  await new Promise<void>((r) => c.write(Buffer.concat([Buffer.from(upgrade("/messages"), "latin1"), clientFrame(0x1, Buffer.from("hi")), clientFrame(0x9, Buffer.from("p"))]), () => r()));
  await until("the 101 and the echo of hi", () => got.includes(" 101 ") && got.includes("echo"));
  // The filter adds its pending counts to the counters on its root tick (every second).
  await until("both frames that came with the upgrade request counted", () => stat("wss.messages.rx_frames") === before.frames + 2);
  assert.equal(stat("wss.messages.rx_bytes"), before.bytes + 8 + 7);
  c.write(clientFrame(0x8, Buffer.alloc(0)));
  await closed;
  await until("messages back to 0", () => stat("wss.messages.cx_active") === 0);
  assert.equal(stat("wss.messages.rx_frames"), before.frames + 3, "and the close frame");
  assert.equal(stat("wss.messages.rx_bytes"), before.bytes + 8 + 7 + 6);
});
