import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startBackends, type Backends } from "../../envoy-test/backends/index.ts";
import { startGateway, type Gateway } from "../../envoy-test/gateway/index.ts";
import { adminGet, bootstrap, hcm, openClient, serviceRoutes, staticCluster } from "./support.ts";

describe("admin interface formats", () => {
  let backends: Backends;
  let gw: Gateway;
  let admin: number;

  before(async () => {
    backends = await startBackends({ basePort: 0, services: ["messages"] });
    const config = bootstrap([hcm(serviceRoutes(["messages"]))], [staticCluster("messages", backends.endpoints("messages"))], {
      stats_config: { stats_tags: [{ tag_name: "service", regex: "^wasmcustom\\.wss\\.((.+?)\\.)" }] },
    });
    gw = await startGateway({ config });
    admin = gw.adminAddress().port;
    // What a filter's proxy_define_metric / increment produce in the shared store.
    gw.stats.gauge("wasmcustom.wss.messages.cx_active").set(3);
    gw.stats.counter("wasmcustom.wss.router.no_route").inc(2);
    const c = await openClient(`ws://127.0.0.1:${gw.listenerAddress("ingress").port}/messages`);
    c.close();
    await c.closed;
  });

  after(async () => {
    await gw?.close();
    await backends?.close();
  });

  test("GET /ready answers LIVE with 200", async () => {
    const r = await adminGet(admin, "/ready");
    assert.deepEqual([r.status, r.text], [200, "LIVE\n"]);
  });

  test("GET /stats lists name: value lines sorted by name", async () => {
    const r = await adminGet(admin, "/stats");
    assert.equal(r.status, 200);
    const lines = r.text.trimEnd().split("\n");
    assert.ok(lines.includes("wasmcustom.wss.messages.cx_active: 3"));
    assert.ok(lines.includes("server.state: 0"));
    assert.ok(lines.includes("listener_manager.total_listeners_active: 1"));
    const names = lines.map((l) => l.split(": ")[0]);
    assert.deepEqual(names, [...names].sort());
  });

  test("GET /stats?filter=RE keeps only matching names", async () => {
    const r = await adminGet(admin, "/stats?filter=^wasmcustom\\.wss\\.");
    assert.equal(r.text, "wasmcustom.wss.messages.cx_active: 3\nwasmcustom.wss.router.no_route: 2\n");
  });

  test("GET /stats?format=json returns {stats: [{name, value}]}", async () => {
    const r = await adminGet(admin, "/stats?format=json&filter=cx_active$");
    assert.equal(r.type, "application/json");
    const j = JSON.parse(r.text) as { stats: { name: string; value: number }[] };
    assert.ok(j.stats.some((s) => s.name === "wasmcustom.wss.messages.cx_active" && s.value === 3));
    assert.ok(j.stats.every((s) => /cx_active$/.test(s.name)));
  });

  test("GET /stats/prometheus drops the wasmcustom. prefix and applies stats_tags", async () => {
    const r = await adminGet(admin, "/stats/prometheus");
    assert.equal(r.status, 200);
    assert.match(r.text, /^# TYPE wss_cx_active gauge\nwss_cx_active\{service="messages"\} 3$/m);
    assert.match(r.text, /^# TYPE wss_no_route counter\nwss_no_route\{service="router"\} 2$/m);
    assert.match(r.text, /^envoy_cluster_upstream_cx_total\{envoy_cluster_name="messages"\} 1$/m);
    assert.match(r.text, /^envoy_http_downstream_cx_upgrades_total\{envoy_http_conn_manager_prefix="ingress"\} 1$/m);
    assert.match(r.text, /^envoy_server_state 0$/m);
  });

  test("GET /clusters lists each host with its counters and health flags", async () => {
    const r = await adminGet(admin, "/clusters");
    const [a, b] = backends.endpoints("messages");
    assert.match(r.text, /^messages::added_via_api::false$/m);
    assert.match(r.text, new RegExp(`^messages::${a.address}:${a.port}::health_flags::healthy$`, "m"));
    assert.match(r.text, new RegExp(`^messages::${b.address}:${b.port}::cx_total::\\d+$`, "m"));
    const j = JSON.parse((await adminGet(admin, "/clusters?format=json")).text) as { cluster_statuses: { name: string; host_statuses: { address: { socket_address: { port_value: number } } }[] }[] };
    assert.deepEqual(j.cluster_statuses[0].host_statuses.map((h) => h.address.socket_address.port_value), [a.port, b.port]);
  });

  test("GET /listeners prints name::address, and json with local_address", async () => {
    const l = gw.listenerAddress("ingress");
    assert.equal((await adminGet(admin, "/listeners")).text, `ingress::127.0.0.1:${l.port}\n`);
    const j = JSON.parse((await adminGet(admin, "/listeners?format=json")).text);
    assert.deepEqual(j, { listener_statuses: [{ name: "ingress", local_address: { socket_address: { address: "127.0.0.1", port_value: l.port } } }] });
  });

  test("a state-changing endpoint refuses GET with 405 and changes nothing", async () => {
    const r = await adminGet(admin, "/healthcheck/fail");
    assert.deepEqual([r.status, r.text], [405, "Method GET not allowed, POST required."]);
    assert.equal((await adminGet(admin, "/ready")).status, 200);
  });

  test("an unknown admin path answers 404 invalid path with the command list", async () => {
    const r = await adminGet(admin, "/nope");
    assert.equal(r.status, 404);
    assert.match(r.text, /^invalid path\. admin commands are:\n/);
    assert.match(r.text, /\/drain_listeners \(POST\)/);
  });

  test("an invalid filter regex is a 400 naming the problem", async () => {
    const r = await adminGet(admin, "/stats?filter=(");
    assert.equal(r.status, 400);
    assert.match(r.text, /^Invalid re2 regex/);
  });
});
