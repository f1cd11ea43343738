import assert from "node:assert/strict";
import http from "node:http";
import { after, before, describe, test } from "node:test";
import { startBackends, type Backends } from "../../envoy-test/backends/index.ts";
import { startGateway, type Gateway } from "../../envoy-test/gateway/index.ts";
import { bootstrap, Client, hcm, openClient, rawExchange, serviceRoutes, staticCluster, waitFor } from "./support.ts";

const SERVICES = ["messages", "presence", "apps"];

/** An HTTP server answering every request with the headers it received, as JSON. */
async function headerEcho(): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((req, res) => {
    const body = JSON.stringify({ method: req.method, url: req.url, headers: req.headers });
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { server, port: (server.address() as { port: number }).port };
}

describe("websocket and HTTP proxying through the gateway", () => {
  let backends: Backends;
  let gw: Gateway;
  let echo: { server: http.Server; port: number };
  let port: number;

  before(async () => {
    backends = await startBackends({ basePort: 0 });
    echo = await headerEcho();
    const routes = [
      ...serviceRoutes(SERVICES),
      { match: { prefix: "/by-header", headers: [{ name: "x-wss-cluster", present_match: true }] }, route: { cluster_header: "x-wss-cluster" } },
      { match: { prefix: "/echo-headers" }, route: { cluster: "headers" }, request_headers_to_remove: ["x-secret"] },
      { match: { prefix: "/nowhere" }, route: { cluster: "missing" } },
      { match: { prefix: "/empty" }, route: { cluster: "empty" } },
      { match: { prefix: "/refused" }, route: { cluster: "refused" } },
    ];
    const clusters = [
      ...SERVICES.map((s) => staticCluster(s, backends.endpoints(s))),
      staticCluster("headers", [{ address: "127.0.0.1", port: echo.port }]),
      staticCluster("empty", []),
      // port 1 on loopback: nothing listens there, the connect is refused.
      staticCluster("refused", [{ address: "127.0.0.1", port: 1 }]),
    ];
    const config = bootstrap([hcm(routes)], clusters);
    (config.static_resources.listeners[0].filter_chains[0].filters[0] as { typed_config: { route_config: { request_headers_to_remove?: string[] } } })
      .typed_config.route_config.request_headers_to_remove = ["x-wss-cluster"];
    gw = await startGateway({ config });
    port = gw.listenerAddress("ingress").port;
  });

  after(async () => {
    await gw?.close();
    await backends?.close();
    await new Promise((r) => echo?.server.close(r));
  });

  for (const service of SERVICES) {
    test(`a websocket to /${service} gets that service's hello and echoes`, async () => {
      const c = await openClient(`ws://127.0.0.1:${port}/${service}`);
      const hello = c.hello();
      assert.equal(hello.type, "hello");
      assert.equal(hello.service, service);
      assert.ok(backends.endpoints(service).some((e) => `${e.address}:${e.port}` === hello.instance), `instance ${hello.instance} is a ${service} backend`);
      await c.echo("ping 1");
      await c.echo('{"text":"unicode ✓"}');
      c.close();
      assert.equal(await c.closed, 1005);
    });
  }

  test("apps speaks Socket Mode: hello with connection info, an events_api envelope, acks by envelope_id", async () => {
    const c = await openClient(`ws://127.0.0.1:${port}/apps`);
    const hello = c.hello();
    assert.equal(typeof hello.num_connections, "number");
    assert.ok(hello.debug_info && hello.connection_info);
    await waitFor(() => c.messages.some((m) => m.includes('"events_api"')), "an events_api envelope");
    const env = JSON.parse(c.messages.find((m) => m.includes('"events_api"'))!) as { envelope_id: string };
    const inst = backends.instances.apps.find((s) => s.instance === hello.instance)!;
    assert.ok(inst.unacked.has(env.envelope_id));
    c.ws.send(JSON.stringify({ envelope_id: env.envelope_id }));
    await waitFor(() => inst.acked.includes(env.envelope_id), "the ack to reach the backend");
    assert.equal(inst.unacked.has(env.envelope_id), false);
    c.close();
  });

  test("websockets to one service are spread round robin over its two endpoints", async () => {
    const a = await openClient(`ws://127.0.0.1:${port}/presence`);
    const b = await openClient(`ws://127.0.0.1:${port}/presence`);
    assert.notEqual(a.hello().instance, b.hello().instance);
    a.close(); b.close();
  });

  test("a plain HTTP request to a websocket path misses the routes: 404 with an empty body", async () => {
    const r = await fetch(`http://127.0.0.1:${port}/messages`);
    assert.equal(r.status, 404);
    assert.equal(await r.text(), "");
    assert.equal(r.headers.get("content-length"), "0");
    assert.equal(r.headers.get("server"), "envoy");
  });

  test("a route to an unknown cluster answers 503 (cluster_not_found_response_code default)", async () => {
    const r = await fetch(`http://127.0.0.1:${port}/nowhere`);
    assert.equal(r.status, 503);
    assert.equal(await r.text(), "");
  });

  test("cluster_header routes by a request header and request_headers_to_remove strips it before the upstream", async () => {
    const r = await fetch(`http://127.0.0.1:${port}/by-header/x?y=1`, { headers: { "x-wss-cluster": "headers", "x-other": "kept" } });
    assert.equal(r.status, 200);
    const seen = (await r.json()) as { url: string; headers: Record<string, string> };
    assert.equal(seen.url, "/by-header/x?y=1");
    assert.equal(seen.headers["x-wss-cluster"], undefined);
    assert.equal(seen.headers["x-other"], "kept");
    assert.equal(seen.headers["x-forwarded-proto"], "http");
    assert.match(seen.headers["x-request-id"], /^[0-9a-f-]{36}$/);
    assert.equal(seen.headers["x-envoy-expected-rq-timeout-ms"], "15000");
    assert.equal(r.headers.get("server"), "envoy");
    assert.ok(r.headers.get("x-envoy-upstream-service-time") !== null);
  });

  test("a cluster_header naming no cluster gives 503", async () => {
    const r = await fetch(`http://127.0.0.1:${port}/by-header`, { headers: { "x-wss-cluster": "no-such-cluster" } });
    assert.equal(r.status, 503);
  });

  test("a route's request_headers_to_remove applies to its requests only", async () => {
    const r = await fetch(`http://127.0.0.1:${port}/echo-headers`, { headers: { "x-secret": "s", "x-visible": "v" } });
    const seen = (await r.json()) as { headers: Record<string, string> };
    assert.equal(seen.headers["x-secret"], undefined);
    assert.equal(seen.headers["x-visible"], "v");
  });

  test("a cluster without endpoints answers 503 no healthy upstream, as text/plain with its length", async () => {
    const raw = await rawExchange(port, "GET /empty HTTP/1.1\r\nhost: gw\r\n\r\n", (s) => s.includes("no healthy upstream"));
    assert.match(raw, /^HTTP\/1\.1 503 Service Unavailable\r\n/);
    assert.match(raw, /\r\ncontent-type: text\/plain\r\n/);
    assert.match(raw, /\r\ncontent-length: 19\r\n/);
    assert.ok(raw.endsWith("\r\n\r\nno healthy upstream"));
  });

  test("an upstream connect failure answers 503 with Envoy's reset reason", async () => {
    const r = await fetch(`http://127.0.0.1:${port}/refused`);
    assert.equal(r.status, 503);
    assert.match(await r.text(), /^upstream connect error or disconnect\/reset before headers\. reset reason: remote connection failure/);
    assert.ok((gw.stats.get("cluster.refused.upstream_cx_connect_fail") ?? 0) >= 1);
  });

  test("request headers over 60 KiB answer 431 and close the connection", async () => {
    const big = "a".repeat(61 * 1024);
    const raw = await rawExchange(port, `GET /messages HTTP/1.1\r\nhost: gw\r\nx-big: ${big}\r\n\r\n`);
    assert.match(raw, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    assert.match(raw, /\r\nconnection: close\r\n/);
    assert.ok(raw.endsWith("Request Header Fields Too Large"));
  });

  test("a malformed request line answers 400 Bad Request and closes", async () => {
    const raw = await rawExchange(port, "GARBAGE\r\n\r\n");
    assert.match(raw, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.ok(raw.endsWith("\r\n\r\nBad Request"));
  });

  test("a header line without a colon answers 400", async () => {
    const raw = await rawExchange(port, "GET / HTTP/1.1\r\nhost: gw\r\nnot a header\r\n\r\n");
    assert.match(raw, /^HTTP\/1\.1 400 Bad Request\r\n/);
  });

  test("an HTTP/1.1 request without host answers 400", async () => {
    const raw = await rawExchange(port, "GET /messages HTTP/1.1\r\n\r\n");
    assert.match(raw, /^HTTP\/1\.1 400 Bad Request\r\n/);
  });

  test("two pipelined requests on one connection both get answers, in order", async () => {
    const raw = await rawExchange(port, "GET /a HTTP/1.1\r\nhost: gw\r\n\r\nGET /echo-headers HTTP/1.1\r\nhost: gw\r\nconnection: close\r\n\r\n");
    const statuses = [...raw.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]);
    assert.deepEqual(statuses, ["404", "200"]);
  });

  test("a chunked request body reaches the upstream", async () => {
    const raw = await rawExchange(port,
      "POST /echo-headers HTTP/1.1\r\nhost: gw\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
    assert.match(raw, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(raw, /"transfer-encoding":"chunked"/);
  });

  test("a websocket whose backend is killed mid-stream is dropped without a close frame (1006)", async () => {
    const extra = await startBackends({ basePort: 0, services: ["messages"], instancesPerService: 1 });
    const g2 = await startGateway({ config: bootstrap([hcm(serviceRoutes(["messages"]))], [staticCluster("messages", extra.endpoints("messages"))]) });
    try {
      const c = await openClient(`ws://127.0.0.1:${g2.listenerAddress("ingress").port}/messages`);
      await c.echo("before the crash");
      await extra.instances.messages[0].kill();
      assert.equal(await c.closed, 1006);
      await waitFor(() => g2.stats.get("http.ingress.downstream_cx_upgrades_active") === 0, "the upgrade gauge to return to 0");
    } finally {
      await g2.close();
      await extra.close();
    }
  });

  test("an upgrade request when the HCM has no websocket upgrade_config answers 403", async () => {
    const g2 = await startGateway({ config: bootstrap([hcm(serviceRoutes(["messages"]), { upgrade_configs: [] })], [staticCluster("messages", backends.endpoints("messages"))]) });
    try {
      const c = new Client(`ws://127.0.0.1:${g2.listenerAddress("ingress").port}/messages`);
      await assert.rejects(c.opened, /unexpected response 403/);
    } finally {
      await g2.close();
    }
  });

  test("stream_idle_timeout drops an idle upgraded websocket (reset, no close frame)", async () => {
    const g2 = await startGateway({ config: bootstrap([hcm(serviceRoutes(["presence"]), { stream_idle_timeout: "0.3s" })], [staticCluster("presence", backends.endpoints("presence"))]) });
    try {
      const c = await openClient(`ws://127.0.0.1:${g2.listenerAddress("ingress").port}/presence`);
      assert.equal(await c.closed, 1006);
      assert.equal(g2.stats.get("http.ingress.downstream_rq_idle_timeout"), 1);
    } finally {
      await g2.close();
    }
  });

  test("the gateway counts upgrades and responses the way Envoy's HCM stats do", () => {
    assert.ok((gw.stats.get("http.ingress.downstream_cx_upgrades_total") ?? 0) >= 4);
    assert.ok((gw.stats.get("http.ingress.downstream_rq_4xx") ?? 0) >= 1);
    assert.ok((gw.stats.get("http.ingress.no_route") ?? 0) >= 1);
    assert.ok((gw.stats.get("cluster.messages.upstream_cx_total") ?? 0) >= 1);
  });
});
