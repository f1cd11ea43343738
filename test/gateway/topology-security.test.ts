// The default topology's route tables refuse what a client must never reach, whatever the filters
// do: Envoy skips a plugin that failed open (fail_open true), so each case runs with the filter
// that would refuse it taken out of the chain, as Envoy would run it then.
import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, test } from "node:test";
import { startBackends, type Backends } from "../../envoy-test/backends/index.ts";
import { buildFilters } from "../../envoy-test/build.ts";
import { defaultTopology, DEV_DRAIN_TOKEN, SERVICES } from "../../envoy-test/config/index.ts";
import { startGateway, type Gateway } from "../../envoy-test/gateway/index.ts";
import { openClient, rawExchange } from "./support.ts";

const freePort = (): Promise<number> => new Promise((resolve, reject) => {
  const s = net.createServer();
  s.once("error", reject);
  s.listen(0, "127.0.0.1", () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
});

/** The listener's HTTP filters without the Wasm filter of `rootId` (a plugin that failed open). */
function without(config: any, listener: number, rootId: string): any {
  const hcm = config.static_resources.listeners[listener].filter_chains[0].filters.at(-1).typed_config;
  hcm.http_filters = hcm.http_filters.filter((f: any) => f.typed_config?.config?.root_id !== rootId);
  return config;
}

describe("the default topology with ws-router and the operator's drain-signal failed open", () => {
  let backends: Backends;
  let gw: Gateway;
  let ports: { pub: number; op: number; admin: number };

  before(async () => {
    await buildFilters(["ws-router", "conn-accounting", "drain-signal"]);
    backends = await startBackends({ basePort: 0 });
    const backendPorts = Object.fromEntries(SERVICES.map((s) => [s, backends.endpoints(s).map((e) => e.port)]));
    ports = { pub: await freePort(), op: await freePort(), admin: await freePort() };
    const config = defaultTopology({
      backendPorts, healthChecks: false,
      listen: { host: "127.0.0.1", port: ports.pub }, operator: { host: "127.0.0.1", port: ports.op },
      admin: { host: "127.0.0.1", port: ports.admin },
    }).build();
    gw = await startGateway({ config: without(without(config, 0, "ws_router"), 1, "drain_signal") });
  });

  after(async () => {
    await gw?.close();
    await backends?.close();
  });

  const ready = async () => (await (await fetch(`http://127.0.0.1:${ports.admin}/ready`)).text());

  test("a client's own x-wss-cluster naming the admin cluster reaches nothing on the public listener", async () => {
    for (const [method, path] of [["GET", "/stats"], ["POST", "/healthcheck/fail"], ["POST", "/drain_listeners"]]) {
      for (const cluster of ["admin", "Admin", "messages,admin"]) {
        const r = await fetch(`http://127.0.0.1:${ports.pub}${path}`, { method, headers: { "x-wss-cluster": cluster } });
        assert.equal(r.status, 404, `${method} ${path} with x-wss-cluster: ${cluster}`);
      }
    }
    assert.equal(await ready(), "LIVE\n", "the gateway was not drained");
  });

  test("a websocket service cluster stays reachable by its exact name", async () => {
    const c = await openClient(`ws://127.0.0.1:${ports.pub}/messages`, { "x-wss-cluster": "presence" });
    assert.equal(c.hello().service, "presence");
    c.close();
    await c.closed;
  });

  test("the operator listener routes nothing to admin, with or without the token", async () => {
    for (const headers of [{}, { "x-drain-token": DEV_DRAIN_TOKEN }] as Record<string, string>[]) {
      for (const [method, path] of [["GET", "/stats"], ["POST", "/healthcheck/fail"], ["POST", "/quitquitquit"]]) {
        const r = await fetch(`http://127.0.0.1:${ports.op}${path}`, { method, headers });
        assert.equal(r.status, 404, `${method} ${path} on the operator listener (${Object.keys(headers).length ? "token" : "no token"})`);
      }
    }
    assert.equal(await ready(), "LIVE\n", "the gateway was not drained");
  });

  test("drain-signal's operator routes require the token even when the filter does not answer", async () => {
    const noToken = await fetch(`http://127.0.0.1:${ports.op}/drain-signal/start`, { method: "POST" });
    assert.equal(noToken.status, 404);
    const wrong = await fetch(`http://127.0.0.1:${ports.op}/drain-signal/start`, { method: "POST", headers: { "x-drain-token": "guess" } });
    assert.equal(wrong.status, 404);
    const token = await fetch(`http://127.0.0.1:${ports.op}/drain-signal/start`, { method: "POST", headers: { "x-drain-token": DEV_DRAIN_TOKEN } });
    assert.deepEqual([token.status, await token.text()], [503, "drain-signal did not answer\n"]);
  });
});

describe("the default topology's per-key limit keys on the client's address", () => {
  let backends: Backends;
  let gw: Gateway;
  let pub: number;

  before(async () => {
    await buildFilters(["ws-router", "conn-accounting", "drain-signal"]);
    backends = await startBackends({ basePort: 0 });
    const backendPorts = Object.fromEntries(SERVICES.map((s) => [s, backends.endpoints(s).map((e) => e.port)]));
    const ports = { pub: await freePort(), op: await freePort(), admin: await freePort() };
    pub = ports.pub;
    gw = await startGateway({ config: defaultTopology({
      backendPorts, healthChecks: false, connAccountingConfig: { default_max_active_per_key: 2 },
      listen: { host: "127.0.0.1", port: ports.pub }, operator: { host: "127.0.0.1", port: ports.op },
      admin: { host: "127.0.0.1", port: ports.admin },
    }).build() });
  });

  after(async () => {
    await gw?.close();
    await backends?.close();
  });

  test("a client rotating X-Forwarded-For gets no more websockets than the limit", async () => {
    const open = [];
    for (const xff of ["10.0.0.1", "10.0.0.2"]) open.push(await openClient(`ws://127.0.0.1:${pub}/messages`, { "x-forwarded-for": xff }));
    const head = await rawExchange(pub, "GET /messages HTTP/1.1\r\nHost: gw\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
      "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nX-Forwarded-For: 10.0.0.3\r\n\r\n",
      (so) => so.includes("\r\n\r\n"));
    assert.match(head, /^HTTP\/1\.1 503 /);
    for (const c of open) { c.close(); await c.closed; }
  });
});
