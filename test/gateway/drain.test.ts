import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import { after, before, describe, test } from "node:test";
import { startBackends, type Backends } from "../../envoy-test/backends/index.ts";
import { startGateway, type Gateway } from "../../envoy-test/gateway/index.ts";
import { adminGet, bootstrap, hcm, openClient, rawExchange, serviceRoutes, staticCluster, waitFor } from "./support.ts";

async function okServer(): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((_req, res) => { res.writeHead(200, { "content-length": "2" }); res.end("ok"); });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { server, port: (server.address() as { port: number }).port };
}

const config = (backends: Backends, ok: number) => bootstrap(
  [hcm([...serviceRoutes(["messages"]), { match: { prefix: "/ok" }, route: { cluster: "ok" } }])],
  [staticCluster("messages", backends.endpoints("messages")), staticCluster("ok", [{ address: "127.0.0.1", port: ok }])],
);

const post = async (port: number, path: string) => adminGet(port, path, "POST");
const keepAliveGet = "GET /ok HTTP/1.1\r\nhost: gw\r\n\r\n";
const connectable = (port: number): Promise<boolean> => new Promise((resolve) => {
  const s = net.connect(port, "127.0.0.1");
  s.once("connect", () => { s.destroy(); resolve(true); });
  s.once("error", () => resolve(false));
});

describe("draining", () => {
  let backends: Backends;
  let ok: { server: http.Server; port: number };
  before(async () => {
    backends = await startBackends({ basePort: 0, services: ["messages"] });
    ok = await okServer();
  });
  after(async () => {
    await backends?.close();
    await new Promise((r) => ok?.server.close(r));
  });

  test("POST /healthcheck/fail sets server.state 1, /ready 503 DRAINING, and /healthcheck/ok undoes it", async () => {
    const gw = await startGateway({ config: config(backends, ok.port) });
    try {
      const admin = gw.adminAddress().port;
      assert.equal(gw.stats.get("server.state"), 0);
      assert.deepEqual(await post(admin, "/healthcheck/fail").then((r) => [r.status, r.text]), [200, "OK\n"]);
      assert.equal(gw.stats.get("server.state"), 1);
      assert.equal(gw.stats.get("server.live"), 0);
      assert.deepEqual(await adminGet(admin, "/ready").then((r) => [r.status, r.text]), [503, "DRAINING\n"]);
      await post(admin, "/healthcheck/ok");
      assert.equal(gw.stats.get("server.state"), 0);
      assert.deepEqual(await adminGet(admin, "/ready").then((r) => [r.status, r.text]), [200, "LIVE\n"]);
    } finally { await gw.close(); }
  });

  test("while health-check failed, HTTP/1.1 responses carry connection: close and the connection closes", async () => {
    const gw = await startGateway({ config: config(backends, ok.port) });
    try {
      const port = gw.listenerAddress("ingress").port;
      const before = await rawExchange(port, keepAliveGet, (s) => s.endsWith("ok"));
      assert.doesNotMatch(before, /connection: close/);
      await post(gw.adminAddress().port, "/healthcheck/fail");
      const during = await rawExchange(port, keepAliveGet); // resolves only when the gateway closes
      assert.match(during, /^HTTP\/1\.1 200 OK\r\n/);
      assert.match(during, /\r\nconnection: close\r\n/);
    } finally { await gw.close(); }
  });

  test("an upgraded websocket gets nothing from a drain: it stays open and keeps echoing", async () => {
    const gw = await startGateway({ config: config(backends, ok.port), drainStrategy: "immediate" });
    try {
      const c = await openClient(`ws://127.0.0.1:${gw.listenerAddress("ingress").port}/messages`);
      const admin = gw.adminAddress().port;
      await post(admin, "/healthcheck/fail");
      await post(admin, "/drain_listeners");
      await c.echo("still here after the drain started");
      assert.equal(c.closeCode, null);
      assert.equal(c.messages.length, 2, "hello and the echo only: no injected message");
      c.close();
      await c.closed;
    } finally { await gw.close(); }
  });

  test("POST /drain_listeners stops accepting at once, counts listener_stopped and leaves total_listeners_draining at 0", async () => {
    const gw = await startGateway({ config: config(backends, ok.port), drainStrategy: "immediate" });
    try {
      const port = gw.listenerAddress("ingress").port;
      const c = await openClient(`ws://127.0.0.1:${port}/messages`);
      assert.equal(await connectable(port), true);
      await post(gw.adminAddress().port, "/drain_listeners");
      assert.equal(await connectable(port), false);
      assert.equal(gw.stats.get("listener_manager.listener_stopped"), 1);
      // Only LDS removal moves this gauge in Envoy (listener_manager_impl.cc drainListener).
      assert.equal(gw.stats.get("listener_manager.total_listeners_draining"), 0);
      await c.echo("open connections survive the listener stop");
      c.close();
      await c.closed;
    } finally { await gw.close(); }
  });

  test("POST /drain_listeners?inboundonly stops every listener but the OUTBOUND ones, which keep accepting", async () => {
    const base = config(backends, ok.port) as { static_resources: { listeners: Record<string, unknown>[] } };
    const listeners = base.static_resources.listeners;
    listeners.push({ ...listeners[0], name: "operator", traffic_direction: "OUTBOUND" }, { ...listeners[0], name: "inbound", traffic_direction: "INBOUND" });
    const gw = await startGateway({ config: base, drainStrategy: "immediate" });
    try {
      const [ingress, operator, inbound] = ["ingress", "operator", "inbound"].map((n) => gw.listenerAddress(n).port);
      await post(gw.adminAddress().port, "/drain_listeners?inboundonly");
      assert.deepEqual([await connectable(ingress), await connectable(operator), await connectable(inbound)], [false, true, false]);
      assert.equal(gw.stats.get("listener_manager.listener_stopped"), 2);
      assert.match(await rawExchange(operator, keepAliveGet, (x) => x.endsWith("ok")), /^HTTP\/1\.1 200/);
      // Without inboundonly, the OUTBOUND listener stops too.
      await post(gw.adminAddress().port, "/drain_listeners");
      assert.equal(await connectable(operator), false);
      assert.equal(gw.stats.get("listener_manager.listener_stopped"), 3);
    } finally { await gw.close(); }
  });

  test("a listener's traffic_direction must be one of Envoy's names", async () => {
    const base = config(backends, ok.port) as { static_resources: { listeners: Record<string, unknown>[] } };
    base.static_resources.listeners[0].traffic_direction = "SIDEWAYS";
    await assert.rejects(startGateway({ config: base }), /traffic_direction/);
  });

  test("POST /drain_listeners?graceful keeps accepting during the drain time, drain-closes HTTP/1.1, then stops the listener", async () => {
    const gw = await startGateway({ config: config(backends, ok.port), drainStrategy: "immediate", drainTimeS: 0.3 });
    try {
      const port = gw.listenerAddress("ingress").port;
      await post(gw.adminAddress().port, "/drain_listeners?graceful");
      const during = await rawExchange(port, keepAliveGet);
      assert.match(during, /\r\nconnection: close\r\n/);
      assert.ok((gw.stats.get("http.ingress.downstream_cx_drain_close") ?? 0) >= 1);
      await waitFor(() => gw.stats.get("listener_manager.listener_stopped") === 1, "the listener to stop after the drain time");
      assert.equal(await connectable(port), false);
    } finally { await gw.close(); }
  });
});
