import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startBackends, type Backends } from "../../envoy-test/backends/index.ts";
import { startGateway, type Gateway } from "../../envoy-test/gateway/index.ts";
import { adminGet, bootstrap, hcm, openClient, rawExchange, serviceRoutes, staticCluster, waitFor } from "./support.ts";

const healthChecks = [{
  timeout: "0.5s", interval: "0.05s", no_traffic_interval: "0.05s",
  unhealthy_threshold: 1, healthy_threshold: 2, http_health_check: { path: "/healthz" },
}];

describe("active health checks and the panic threshold", () => {
  let backends: Backends;
  before(async () => { backends = await startBackends({ basePort: 0, services: ["messages"] }); });
  after(async () => { await backends?.close(); });

  const start = (panic?: number): Promise<Gateway> => startGateway({
    config: bootstrap([hcm(serviceRoutes(["messages"]))], [staticCluster("messages", backends.endpoints("messages"), {
      health_checks: healthChecks, ...(panic === undefined ? {} : { common_lb_config: { healthy_panic_threshold: { value: panic } } }),
    })]),
  });
  const healthyCount = (gw: Gateway): number | undefined => gw.stats.get("cluster.messages.membership_healthy");
  const instancesOf = async (gw: Gateway, n: number): Promise<string[]> => {
    const seen: string[] = [];
    for (let i = 0; i < n; i++) {
      const c = await openClient(`ws://127.0.0.1:${gw.listenerAddress("ingress").port}/messages`);
      seen.push(c.hello().instance as string);
      c.close();
      await c.closed;
    }
    return seen;
  };

  test("hosts start failed_active_hc and become healthy on their first passing check", async () => {
    const gw = await start();
    try {
      await waitFor(() => healthyCount(gw) === 2, "both hosts healthy");
      const text = (await adminGet(gw.adminAddress().port, "/clusters")).text;
      assert.equal([...text.matchAll(/::health_flags::healthy$/gm)].length, 2);
      assert.ok((gw.stats.get("cluster.messages.health_check.success") ?? 0) >= 2);
    } finally { await gw.close(); }
  });

  test("a host failing /healthz gets no new connections; it comes back after healthy_threshold passes", async () => {
    const [bad, good] = backends.instances.messages;
    const gw = await start();
    try {
      await waitFor(() => healthyCount(gw) === 2, "both hosts healthy");
      bad.healthy = false;
      await waitFor(() => healthyCount(gw) === 1, "the failing host to be marked unhealthy");
      const text = (await adminGet(gw.adminAddress().port, "/clusters")).text;
      assert.match(text, new RegExp(`^messages::${bad.instance}::health_flags::/failed_active_hc$`, "m"));
      assert.deepEqual(new Set(await instancesOf(gw, 4)), new Set([good.instance]));
      bad.healthy = true;
      await waitFor(() => healthyCount(gw) === 2, "the host to recover");
      assert.deepEqual(new Set(await instancesOf(gw, 4)), new Set([bad.instance, good.instance]));
    } finally {
      bad.healthy = true;
      await gw.close();
    }
  });

  test("below healthy_panic_threshold the balancer uses every host and counts lb_healthy_panic", async () => {
    const [bad, good] = backends.instances.messages;
    const gw = await start(60); // 1 of 2 healthy = 50% < 60%: panic
    try {
      await waitFor(() => healthyCount(gw) === 2, "both hosts healthy");
      bad.healthy = false;
      await waitFor(() => healthyCount(gw) === 1, "one host unhealthy");
      assert.deepEqual(new Set(await instancesOf(gw, 4)), new Set([bad.instance, good.instance]));
      assert.ok((gw.stats.get("cluster.messages.lb_healthy_panic") ?? 0) >= 4);
    } finally {
      bad.healthy = true;
      await gw.close();
    }
  });

  test("with every host unhealthy the default 50% threshold still routes (panic), and threshold 0 answers 503", async () => {
    for (const s of backends.instances.messages) s.healthy = false;
    const panicking = await start();
    const strict = await start(0);
    try {
      // Hosts start failed_active_hc and never pass: 0% healthy.
      await waitFor(() => (panicking.stats.get("cluster.messages.health_check.failure") ?? 0) >= 2, "failed checks");
      await waitFor(() => (strict.stats.get("cluster.messages.health_check.failure") ?? 0) >= 2, "failed checks");
      assert.equal((await instancesOf(panicking, 2)).length, 2);
      const raw = await rawExchange(strict.listenerAddress("ingress").port,
        "GET /messages HTTP/1.1\r\nhost: gw\r\nupgrade: websocket\r\nconnection: upgrade\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n");
      assert.match(raw, /^HTTP\/1\.1 503 Service Unavailable\r\n/);
      assert.ok(raw.endsWith("\r\n\r\nno healthy upstream"));
    } finally {
      for (const s of backends.instances.messages) s.healthy = true;
      await panicking.close();
      await strict.close();
    }
  });
});
