// ws-router end to end: real `ws` clients through the proxy of the e2e target (the local gateway
// by default; real Envoy with E2E_TARGET=envoy) running an Envoy bootstrap with the compiled
// filter, HCM websocket upgrades and a route reading x-wss-cluster, to demo backends: one backend
// per cluster, so each backend's hello names the cluster the filter picked.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import WebSocket from "ws";
import { startBackends, type Backends } from "../../envoy-test/backends/index.ts";
import { CONFIG, ensureBuilt } from "../../bench/support/ws-router.ts";
import { startProxy, type ProxyUnderTest, type TargetEnv } from "./envoy-target.ts";

const CLUSTERS = ["messages", "messages-v2", "presence", "presence-a", "presence-b", "presence-c", "apps"];
const SHARDS = ["presence-a", "presence-b", "presence-c"];

let backends: Backends;
let proxy: ProxyUnderTest;

const address = (a: string, p: number) => ({ socket_address: { address: a, port_value: p } });

/** The bootstrap: ws-router then the router, one cluster per backend. Port 0 on the local
 *  gateway; fixed ports (published by the container) on real Envoy. */
function bootstrap(env: TargetEnv): object {
  const fixed = env.target === "envoy";
  return {
    admin: { address: address(env.bindHost, fixed ? 9901 : 0) },
    static_resources: {
      listeners: [{
        name: "public", address: address(env.bindHost, fixed ? 18080 : 0),
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
              { name: "envoy.filters.http.wasm", typed_config: {
                "@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
                config: {
                  name: "ws_router", root_id: "ws_router",
                  vm_config: { vm_id: "wss", runtime: "envoy.wasm.runtime.v8", code: { local: { filename: `${env.wasmDir}/ws-router.wasm` } } },
                  configuration: { "@type": "type.googleapis.com/google.protobuf.StringValue", value: CONFIG },
                },
              } },
              { name: "envoy.filters.http.router", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" } },
            ],
          },
        }] }],
      }],
      clusters: CLUSTERS.map((name) => ({
        name, type: "STATIC", connect_timeout: "1s",
        load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: backends.endpoints(name).map((e) => ({ endpoint: { address: address(env.backendHost, e.port) } })) }] },
      })),
    },
  };
}

before(async () => {
  const wasm = await ensureBuilt();
  backends = await startBackends({ basePort: 0, services: CLUSTERS, instancesPerService: 1 });
  proxy = await startProxy({
    config: bootstrap, wasmFiles: [wasm],
    backendPorts: CLUSTERS.flatMap((c) => backends.endpoints(c).map((e) => e.port)),
  });
});

after(async () => {
  await proxy?.close();
  await backends?.close();
});

/** Opens a websocket through the proxy and returns the backend's hello (then closes). */
async function hello(path: string, headers: Record<string, string> = {}): Promise<{ service: string; instance: string }> {
  const ws = new WebSocket(proxy.url("public", path), { headers });
  try {
    const first = await new Promise<string>((resolve, reject) => {
      ws.once("message", (m) => resolve(m.toString()));
      ws.once("unexpected-response", (_req, res) => reject(new Error(`${path}: unexpected response ${res.statusCode}`)));
      ws.once("error", reject);
    });
    const h = JSON.parse(first) as { type: string; service: string; instance: string };
    assert.equal(h.type, "hello");
    return h;
  } finally {
    ws.terminate();
  }
}

/** The status line and body of a refused upgrade, read from the raw HTTP/1.1 response. */
function rawRequest(request: string): Promise<{ status: number; body: string; head: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(proxy.url("public", "/", "http"));
    const s = net.connect(Number(u.port), u.hostname);
    let data = "";
    const done = () => {
      const [head, ...rest] = data.split("\r\n\r\n");
      resolve({ status: Number(head.split(" ")[1]), head, body: rest.join("\r\n\r\n") });
    };
    s.on("data", (d) => {
      data += d.toString("latin1");
      const m = /content-length: (\d+)/i.exec(data);
      const end = data.indexOf("\r\n\r\n");
      if (m && end >= 0 && data.length >= end + 4 + Number(m[1])) { s.destroy(); done(); }
    });
    s.on("end", () => { s.destroy(); done(); });
    s.on("error", reject);
    s.write(request);
  });
}

const upgradeRequest = (path: string, extra = "") =>
  `GET ${path} HTTP/1.1\r\nHost: wss-primary.slack.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
  `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${extra}\r\n`;

async function stat(name: string): Promise<number> {
  return (await proxy.stats(name.replace(/\./g, "\\."))).get(name) ?? 0;
}

test("each websocket path reaches its own service's backend", async () => {
  assert.equal((await hello("/messages")).service, "messages");
  assert.equal((await hello("/messages/v2/socket")).service, "messages-v2");
  assert.equal((await hello("/presence")).service, "presence");
  assert.equal((await hello("/apps", { Host: "wss-primary.slack.com" })).service, "apps");
  assert.equal((await hello("/apps", { Host: "wss-backup.slack.com:443" })).service, "apps");
});

test("messages flow both ways after the upgrade", async () => {
  const ws = new WebSocket(proxy.url("public", "/messages"));
  const got: string[] = [];
  ws.on("message", (m) => got.push(m.toString()));
  await new Promise<void>((res, rej) => { ws.once("open", () => res()); ws.once("error", rej); });
  ws.send("hi through ws-router");
  const want = JSON.stringify({ type: "echo", data: "hi through ws-router" });
  for (let i = 0; i < 500 && !got.includes(want); i++) await new Promise((r) => setTimeout(r, 10));
  ws.terminate();
  assert.ok(got.includes(want), `no echo in ${JSON.stringify(got)}`);
});

test("a shard key always reaches the same shard backend, and the keys cover every shard", async () => {
  const seen = new Set<string>();
  for (let t = 0; t < 24; t++) {
    const team = `T${t.toString(36).toUpperCase()}`;
    const first = (await hello(`/presence?team=${team}`)).service;
    assert.ok(SHARDS.includes(first), `${team} went to ${first}`);
    assert.equal((await hello(`/presence?team=${team}`)).service, first, `${team} moved on reconnect`);
    assert.equal((await hello("/presence", { "x-slack-team": team })).service, first, `${team} by header`);
    seen.add(first);
  }
  assert.deepEqual([...seen].sort(), SHARDS);
});

test("a client-supplied x-wss-cluster does not choose the backend", async () => {
  assert.equal((await hello("/messages", { "x-wss-cluster": "apps", "x-wss-service": "apps" })).service, "messages");
  assert.equal((await hello("/presence", { "x-wss-cluster": "presence-c" })).service, "presence");
});

test("a browser GET gets the filter's 404", async () => {
  const r = await fetch(proxy.url("public", "/messages", "http"), { headers: { accept: "text/html" } });
  assert.equal(r.status, 404);
  assert.match(await r.text(), /only accepts websocket upgrades/);
});

test("an upgrade on no route gets a 404 and counts wss.router.no_route", async () => {
  const before = await stat("wasmcustom.wss.router.no_route");
  const r = await rawRequest(upgradeRequest("/chat", "Sec-WebSocket-Version: 13\r\n"));
  assert.equal(r.status, 404);
  assert.match(r.body, /no websocket service at this path/);
  assert.equal(await stat("wasmcustom.wss.router.no_route"), before + 1);
});

test("a malformed upgrade gets a 400 naming the problem and counts wss.router.bad_request", async () => {
  const before = await stat("wasmcustom.wss.router.bad_request");
  const r = await rawRequest(upgradeRequest("/messages", "Sec-WebSocket-Version: 8\r\n"));
  assert.equal(r.status, 400);
  assert.match(r.body, /Sec-WebSocket-Version must be 13/);
  assert.match(r.head, /sec-websocket-version: 13/i);
  assert.equal(await stat("wasmcustom.wss.router.bad_request"), before + 1);
});
