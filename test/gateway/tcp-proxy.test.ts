import assert from "node:assert/strict";
import net from "node:net";
import { test } from "node:test";
import { startGateway } from "../../envoy-test/gateway/index.ts";
import { socketAddress, staticCluster } from "./support.ts";

const TCP_PROXY = "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy";

test("tcp_proxy passes bytes both ways and the client's half-close through to the upstream", async () => {
  // Upstream: uppercases what it reads and answers "BYE" after the client's FIN.
  const upstream = net.createServer({ allowHalfOpen: true }, (s) => {
    s.on("data", (d) => s.write(d.toString().toUpperCase()));
    s.on("end", () => s.end("BYE"));
  });
  await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", () => r()));
  const up = upstream.address() as net.AddressInfo;
  const gw = await startGateway({ config: { static_resources: {
    listeners: [{ name: "raw", address: socketAddress("127.0.0.1", 0), filter_chains: [{ filters: [
      { name: "envoy.filters.network.tcp_proxy", typed_config: { "@type": TCP_PROXY, stat_prefix: "raw", cluster: "up" } },
    ] }] }],
    clusters: [staticCluster("up", [{ address: "127.0.0.1", port: up.port }])],
  } } });
  try {
    const got = await new Promise<string>((resolve, reject) => {
      const c = net.connect({ port: gw.listenerAddress("raw").port, host: "127.0.0.1", allowHalfOpen: true });
      let data = "";
      c.on("data", (d) => {
        data += d.toString();
        if (data === "HELLO") c.end(); // half-close after the first answer
      });
      c.on("end", () => resolve(data));
      c.on("error", reject);
      c.write("hello");
    });
    assert.equal(got, "HELLOBYE");
    assert.equal(gw.stats.get("tcp.raw.downstream_cx_total"), 1);
  } finally {
    await gw.close();
    await new Promise((r) => upstream.close(r));
  }
});

test("tcp_proxy closes the client connection when the upstream refuses", async () => {
  const gw = await startGateway({ config: { static_resources: {
    listeners: [{ name: "raw", address: socketAddress("127.0.0.1", 0), filter_chains: [{ filters: [
      { name: "envoy.filters.network.tcp_proxy", typed_config: { "@type": TCP_PROXY, stat_prefix: "raw", cluster: "down" } },
    ] }] }],
    clusters: [staticCluster("down", [{ address: "127.0.0.1", port: 1 }])],
  } } });
  try {
    const closed = await new Promise<string>((resolve) => {
      const c = net.connect(gw.listenerAddress("raw").port, "127.0.0.1");
      let data = "";
      c.on("data", (d) => { data += d.toString(); });
      c.on("close", () => resolve(data));
      c.on("error", () => {});
    });
    assert.equal(closed, "");
    assert.equal(gw.stats.get("cluster.down.upstream_cx_connect_fail"), 1);
  } finally { await gw.close(); }
});
