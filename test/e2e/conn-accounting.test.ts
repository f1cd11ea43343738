// conn-accounting end to end: real `ws` clients through the local gateway (Envoy bootstrap with
// conn_accounting_tcp on the listener, ws-router + conn_accounting in the HCM, a route reading
// x-wss-cluster) to the demo backends, all on 127.0.0.1.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import WebSocket from "ws";
import { startGateway, type Gateway } from "../../envoy-test/gateway/index.ts";
import { startBackends, type Backends } from "../../envoy-test/backends/index.ts";
import { ensureBuilt as buildRouter } from "../../bench/support/ws-router.ts";
import { ensureBuilt as buildAccounting } from "../../bench/support/conn-accounting.ts";
import { wasmFilterEntry } from "../../envoy-test/config/index.ts";

const SERVICES = ["messages", "presence", "apps"];
const ROUTER_CONFIG = JSON.stringify({
  services: [...SERVICES.map((s) => ({ name: s, cluster: s })), { name: "limited", cluster: "presence" }, { name: "perkey", cluster: "messages" }],
  routes: [...SERVICES.map((s) => ({ prefix: `/${s}`, service: s })), { prefix: "/limited", service: "limited" }, { prefix: "/perkey", service: "perkey" }],
});
const LIMITED_MAX = 5;
const ACCOUNTING_CONFIG = JSON.stringify({
  retry_after_s: 30, retry_after_jitter_s: 10,
  limit_key_query: "user",
  services: [{ name: "limited", max_active: LIMITED_MAX }, { name: "perkey", max_active_per_key: 2 }],
});
const TCP_CAP = 3;

let backends: Backends;
let gateway: Gateway;
let port: number;
let cappedPort: number;

const address = (a: string, p: number) => ({ socket_address: { address: a, port_value: p } });

const wasmFilter = (kind: "http" | "network", filename: string, rootId: string, configuration: string) =>
  wasmFilterEntry(kind, { name: rootId, rootId, vmId: "wss", filename, configuration });

function listener(name: string, router: string, accounting: string, tcpConfig: string) {
  return {
    name, address: address("127.0.0.1", 0),
    filter_chains: [{ filters: [
      wasmFilter("network", accounting, "conn_accounting_tcp", tcpConfig),
      {
        name: "envoy.filters.network.http_connection_manager",
        typed_config: {
          "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
          stat_prefix: name,
          upgrade_configs: [{ upgrade_type: "websocket" }],
          route_config: { name: "wss", virtual_hosts: [{ name: "wss", domains: ["*"], routes: [{
            match: { prefix: "/" },
            route: { cluster_header: "x-wss-cluster", timeout: "0s" },
            request_headers_to_remove: ["x-wss-cluster", "x-wss-service"],
          }] }] },
          http_filters: [
            wasmFilter("http", router, "ws_router", ROUTER_CONFIG),
            wasmFilter("http", accounting, "conn_accounting", ACCOUNTING_CONFIG),
            { name: "envoy.filters.http.router", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" } },
          ],
        },
      },
    ] }],
  };
}

before(async () => {
  const [router, accounting] = [await buildRouter(), await buildAccounting()];
  backends = await startBackends({ basePort: 0, services: SERVICES, instancesPerService: 2, pingIntervalMs: 600_000 });
  gateway = await startGateway({
    workers: 2,
    config: {
      admin: { address: address("127.0.0.1", 0) },
      static_resources: {
        listeners: [
          listener("public", router, accounting, JSON.stringify({ listener: "public" })),
          listener("capped", router, accounting, JSON.stringify({ listener: "capped", max_per_listener: TCP_CAP })),
        ],
        clusters: SERVICES.map((name) => ({
          name, type: "STATIC", connect_timeout: "1s",
          load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: backends.endpoints(name).map((e) => ({ endpoint: { address: address(e.address, e.port) } })) }] },
        })),
      },
    },
  });
  port = gateway.listenerAddress("public").port;
  cappedPort = gateway.listenerAddress("capped").port;
});

after(async () => {
  await gateway?.close();
  await backends?.close();
});

const stat = (name: string) => gateway.stats.get(`wasmcustom.${name}`) ?? 0;

/** A count the filter keeps in shared data (vm_id wss): i64 little-endian, 0 when absent. */
function sharedCount(key: string): number {
  const v = gateway.host.sharedData("wss").get(key);
  return v ? Number(new DataView(v.value.buffer, v.value.byteOffset, 8).getBigInt64(0, true)) : 0;
}

/** Opens a websocket and resolves once the backend's hello arrived. */
function connect(path: string, p = port): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${p}${path}`);
    ws.once("message", () => resolve(ws));
    ws.once("unexpected-response", (_req, res) => reject(Object.assign(new Error(`${path}: ${res.statusCode}`), { status: res.statusCode, headers: res.headers })));
    ws.once("error", reject);
  });
}

/** Waits until cond() holds, checking on each turn of the event loop (bounded by the test runner's timeout). */
async function until(what: string, cond: () => boolean, limitMs = 20_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`still waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function closeAll(sockets: WebSocket[]): Promise<void> {
  await Promise.all(sockets.map((ws) => new Promise<void>((r) => { ws.once("close", () => r()); ws.close(); })));
}

test("1,000 websockets across three services: gauges and shared counts match, then return to 0", async () => {
  const sockets: WebSocket[] = [];
  const per: Record<string, number> = { messages: 0, presence: 0, apps: 0 };
  for (let batch = 0; batch < 10; batch++) {             // 100 handshakes in flight at a time
    const opening = Array.from({ length: 100 }, (_, i) => {
      const svc = SERVICES[(batch * 100 + i) % 3];
      per[svc]++;
      return connect(`/${svc}`);
    });
    sockets.push(...await Promise.all(opening));
  }
  for (const s of SERVICES) {
    assert.equal(stat(`wss.${s}.cx_active`), per[s], `wss.${s}.cx_active`);
    assert.equal(stat(`wss.${s}.cx_total`), per[s], `wss.${s}.cx_total`);
    assert.equal(sharedCount(`wss.cx.${s}`), per[s], `shared data wss.cx.${s}`);
  }
  assert.equal(stat("wss.tcp.public.cx_active"), 1000);
  assert.equal(sharedCount("wss.tcp.public"), 1000);
  // One text message each way per socket (the echo), then the close handshake.
  await Promise.all(sockets.map((ws) => new Promise<void>((r) => {
    ws.on("message", (m) => { if (JSON.parse(m.toString()).type === "echo") r(); });
    ws.send("hi");
  })));
  await closeAll(sockets);
  await until("every gauge back to 0", () => SERVICES.every((s) => stat(`wss.${s}.cx_active`) === 0) && stat("wss.tcp.public.cx_active") === 0);
  for (const s of SERVICES) {
    assert.equal(sharedCount(`wss.cx.${s}`), 0, `shared data wss.cx.${s}`);
    // client -> server: "hi" + Close; server -> client: hello (+ apps' first events_api
    // envelope, sent on connect) + echo + Close
    assert.equal(stat(`wss.${s}.rx_frames`), 2 * per[s], `wss.${s}.rx_frames`);
    assert.equal(stat(`wss.${s}.tx_frames`), (s === "apps" ? 4 : 3) * per[s], `wss.${s}.tx_frames`);
    // "hi" masked: 2 + 4 + 2 bytes; an empty masked Close (ws close() without a code): 2 + 4
    assert.equal(stat(`wss.${s}.rx_bytes`), per[s] * (8 + 6), `wss.${s}.rx_bytes`);
  }
  assert.equal(sharedCount("wss.tcp.public"), 0);
});

test("a service at its limit answers 503 with Retry-After and admits again after a close", async () => {
  const held: WebSocket[] = [];
  for (let i = 0; i < LIMITED_MAX; i++) held.push(await connect("/limited"));
  const err = await connect("/limited").then(() => null, (e) => e as { status: number; headers: Record<string, string> });
  assert.ok(err, "the sixth websocket must be refused");
  assert.equal(err.status, 503);
  const retry = Number(err.headers["retry-after"]);
  assert.ok(Number.isInteger(retry) && retry >= 20 && retry <= 40, `Retry-After ${err.headers["retry-after"]} outside 30 +/- 10`);
  assert.equal(stat("wss.limited.cx_rejected"), 1);
  assert.equal(stat("wss.limited.cx_active"), LIMITED_MAX);
  await closeAll(held.splice(0, 1));
  await until("a slot is free", () => stat("wss.limited.cx_active") === LIMITED_MAX - 1);
  held.push(await connect("/limited"));
  await closeAll(held);
  await until("limited back to 0", () => stat("wss.limited.cx_active") === 0);
});

test("one user's third websocket is refused by the per-key limit while another user connects", async () => {
  const u1 = [await connect("/perkey?user=U1"), await connect("/perkey?user=U1")];
  const err = await connect("/perkey?user=U1").then(() => null, (e) => e as { status: number; headers: Record<string, string> });
  assert.equal(err?.status, 503);
  assert.ok(err?.headers["retry-after"], "Retry-After is set");
  const u2 = await connect("/perkey?user=U2");
  assert.equal(stat("wss.perkey.cx_active"), 3);
  assert.equal(stat("wss.perkey.cx_rejected"), 1);
  await closeAll([...u1, u2]);
  await until("perkey back to 0", () => stat("wss.perkey.cx_active") === 0 && sharedCount("wss.cx.perkey") === 0);
});

test("a killed backend releases the connections it held", async () => {
  const sockets: WebSocket[] = [];
  for (let i = 0; i < 40; i++) sockets.push(await connect("/apps"));
  assert.equal(stat("wss.apps.cx_active"), 40);
  const closed = sockets.map((ws) => new Promise<void>((r) => ws.once("close", () => r())));
  for (const b of backends.instances.apps) await b.kill();
  await Promise.all(closed);
  await until("apps gauge back to 0", () => stat("wss.apps.cx_active") === 0);
  await until("tcp gauge back to 0", () => stat("wss.tcp.public.cx_active") === 0);
  // New upgrades to the dead cluster fail upstream and release their reservation too.
  const err = await connect("/apps").then(() => null, (e) => e as { status: number });
  assert.ok(err && err.status >= 500, "an upgrade to a dead backend fails");
  await until("apps gauge still 0", () => stat("wss.apps.cx_active") === 0);
});

test("the TCP cap closes excess sockets at once and counts them", async () => {
  const held: WebSocket[] = [];
  for (let i = 0; i < TCP_CAP; i++) held.push(await connect("/messages", cappedPort));
  assert.equal(stat("wss.tcp.capped.cx_active"), TCP_CAP);
  const excess = await new Promise<{ data: number }>((resolve, reject) => {
    const sock = net.connect(cappedPort, "127.0.0.1");
    let data = 0;
    sock.on("data", (d) => { data += d.length; });
    sock.on("error", () => {});
    sock.on("close", () => resolve({ data }));
    sock.setTimeout(10_000, () => { sock.destroy(); reject(new Error("the excess connection was not closed")); });
  });
  assert.equal(excess.data, 0, "nothing is served on the excess connection");
  assert.equal(stat("wss.tcp.capped.cx_rejected"), 1);
  assert.equal(stat("wss.tcp.capped.cx_active"), TCP_CAP);
  await closeAll(held);
  await until("capped back to 0", () => stat("wss.tcp.capped.cx_active") === 0);
  const again = await connect("/messages", cappedPort);
  await closeAll([again]);
});
