import assert from "node:assert/strict";
import net from "node:net";
import { test } from "node:test";
import { startBackends } from "../../envoy-test/backends/index.ts";
import { startGateway } from "../../envoy-test/gateway/index.ts";
import { bootstrap, hcm, openClient, rawExchange, serviceRoutes, socketAddress } from "./support.ts";

test("a STRICT_DNS cluster resolves its hostname and proxies to the address", async () => {
  const b = await startBackends({ basePort: 0, services: ["messages"], instancesPerService: 1 });
  const port = b.endpoints("messages")[0].port;
  const gw = await startGateway({ config: bootstrap([hcm(serviceRoutes(["messages"]))], [{
    name: "messages", type: "STRICT_DNS", connect_timeout: "1s", dns_lookup_family: "V4_ONLY",
    load_assignment: { cluster_name: "messages", endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress("localhost", port) } }] }] },
  }]) });
  try {
    assert.deepEqual(gw.clusters.get("messages")!.hosts.map((h) => h.key), [`127.0.0.1:${port}`]);
    const c = await openClient(`ws://127.0.0.1:${gw.listenerAddress("ingress").port}/messages`);
    await c.echo("via dns");
    c.close();
    await c.closed;
  } finally {
    await gw.close();
    await b.close();
  }
});

test("an upstream that never answers gets 504 upstream request timeout after the route timeout", async () => {
  const silent = net.createServer((s) => s.on("data", () => {}));
  await new Promise<void>((r) => silent.listen(0, "127.0.0.1", () => r()));
  const port = (silent.address() as net.AddressInfo).port;
  const gw = await startGateway({ config: bootstrap([hcm([{ match: { prefix: "/" }, route: { cluster: "silent", timeout: "0.2s" } }])], [{
    name: "silent", connect_timeout: "1s",
    load_assignment: { cluster_name: "silent", endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress("127.0.0.1", port) } }] }] },
  }]) });
  try {
    const raw = await rawExchange(gw.listenerAddress("ingress").port, "GET /slow HTTP/1.1\r\nhost: gw\r\n\r\n", (s) => s.includes("timeout"));
    assert.match(raw, /^HTTP\/1\.1 504 Gateway Timeout\r\n/);
    assert.ok(raw.endsWith("upstream request timeout"));
    assert.equal(gw.stats.get("cluster.silent.upstream_rq_timeout"), 1);
  } finally {
    await gw.close();
    silent.close();
  }
});
