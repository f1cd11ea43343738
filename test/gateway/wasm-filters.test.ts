import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { startBackends, type Backends } from "../../envoy-test/backends/index.ts";
import { buildFilters } from "../../envoy-test/build.ts";
import { startGateway, type Gateway } from "../../envoy-test/gateway/index.ts";
import { bootstrap, Client, hcm, HTTP_WASM_TYPE, openClient, rawExchange, serviceRoutes, staticCluster } from "./support.ts";

const WASM = "build/add-header.wasm";
const ROUTER_WASM = "build/ws-router.wasm";
const addHeader = {
  name: "envoy.filters.http.wasm",
  typed_config: {
    "@type": HTTP_WASM_TYPE,
    config: {
      name: "add_header", root_id: "add_header",
      vm_config: { vm_id: "demo", runtime: "envoy.wasm.runtime.v8", code: { local: { filename: WASM } } },
      configuration: { "@type": "type.googleapis.com/google.protobuf.StringValue", value: '{"name":"x-powered-by","value":"proxy-wasm-as"}' },
    },
  },
};

describe("wasm HTTP filters inside the gateway (add-header)", () => {
  let backends: Backends;
  let gw: Gateway;
  let port: number;

  before(async () => {
    if (!existsSync(WASM)) await buildFilters(["add-header"]);
    backends = await startBackends({ basePort: 0, services: ["messages"] });
    gw = await startGateway({ config: bootstrap([hcm(serviceRoutes(["messages"]), {}, [addHeader])], [staticCluster("messages", backends.endpoints("messages"))]), workers: 2 });
    port = gw.listenerAddress("ingress").port;
  });
  after(async () => {
    await gw?.close();
    await backends?.close();
  });

  test("one plugin is loaded per configured wasm filter, with one VM per worker", () => {
    assert.equal(gw.plugins.size, 1);
    assert.equal([...gw.plugins.values()][0].workers.length, 2);
  });

  test("the filter's response header reaches the client on the 101 and the websocket still echoes", async () => {
    const c = new Client(`ws://127.0.0.1:${port}/messages`);
    const upgradeHeaders = new Promise<Record<string, string | string[] | undefined>>((r) => c.ws.once("upgrade", (res) => r(res.headers)));
    await c.opened;
    assert.equal((await upgradeHeaders)["x-powered-by"], "proxy-wasm-as");
    await c.echo("through the wasm chain");
    c.close();
    await c.closed;
  });

  test("the gateway's own local replies pass the encoder filters too (404 carries the header)", async () => {
    const raw = await rawExchange(port, "GET /nope HTTP/1.1\r\nhost: gw\r\nconnection: close\r\n\r\n");
    assert.match(raw, /^HTTP\/1\.1 404 Not Found\r\n/);
    assert.match(raw, /\r\nx-powered-by: proxy-wasm-as\r\n/);
  });

  test("connections are spread over the workers round robin", async () => {
    const before0 = gw.stats.get(`listener.127.0.0.1_${port}.worker_0.downstream_cx_total`) ?? 0;
    const before1 = gw.stats.get(`listener.127.0.0.1_${port}.worker_1.downstream_cx_total`) ?? 0;
    const clients = [];
    for (let i = 0; i < 4; i++) clients.push(await openClient(`ws://127.0.0.1:${port}/messages`));
    assert.equal((gw.stats.get(`listener.127.0.0.1_${port}.worker_0.downstream_cx_total`) ?? 0) - before0, 2);
    assert.equal((gw.stats.get(`listener.127.0.0.1_${port}.worker_1.downstream_cx_total`) ?? 0) - before1, 2);
    for (const c of clients) c.close();
    await Promise.all(clients.map((c) => c.closed));
  });

  test("a wasm file that does not exist stops start-up naming the filter's YAML path", async () => {
    const bad = structuredClone(addHeader);
    bad.typed_config.config.vm_config.code.local.filename = "build/no-such-filter.wasm";
    await assert.rejects(
      startGateway({ config: bootstrap([hcm(serviceRoutes(["messages"]), {}, [bad])], [staticCluster("messages", backends.endpoints("messages"))]) }),
      /^Error: bootstrap\.static_resources\.listeners\[0\]\.filter_chains\[0\]\.filters\[0\]\.typed_config\.http_filters\[0\]\.typed_config\.config: wasm filter add_header \(build\/no-such-filter\.wasm\) failed to load: /,
    );
  });
});

describe("a wasm filter's local reply inside the gateway (ws-router answers a plain GET with 404)", () => {
  let before_: Gateway; let after_: Gateway;
  const wsRouter = {
    name: "envoy.filters.http.wasm",
    typed_config: {
      "@type": HTTP_WASM_TYPE,
      config: {
        name: "ws_router", root_id: "ws_router",
        vm_config: { vm_id: "router", runtime: "envoy.wasm.runtime.v8", code: { local: { filename: ROUTER_WASM } } },
        configuration: { "@type": "type.googleapis.com/google.protobuf.StringValue",
          value: JSON.stringify({ services: [{ name: "messages", cluster: "messages" }], routes: [{ prefix: "/messages", service: "messages" }] }) },
      },
    },
  };
  const start = (httpFilters: unknown[]) => startGateway({
    // Port 1: nothing listens; no request in these tests may reach the cluster.
    config: bootstrap([hcm([{ match: { prefix: "/" }, route: { cluster_header: "x-wss-cluster" } }], {}, httpFilters)],
      [staticCluster("messages", [{ address: "127.0.0.1", port: 1 }])]),
  });
  const get = (g: Gateway) => rawExchange(g.listenerAddress("ingress").port, "GET /messages HTTP/1.1\r\nhost: gw\r\nconnection: close\r\n\r\n");

  before(async () => {
    if (!existsSync(WASM)) await buildFilters(["add-header"]);
    if (!existsSync(ROUTER_WASM)) await buildFilters(["ws-router"]);
    before_ = await start([addHeader, wsRouter]);
    after_ = await start([wsRouter, addHeader]);
  });
  after(async () => { await before_?.close(); await after_?.close(); });

  test("a filter configured before the one that replied runs on_response_headers on the reply (add-header's header is there)", async () => {
    const raw = await get(before_);
    assert.match(raw, /^HTTP\/1\.1 404 Not Found\r\n/);
    assert.match(raw, /\r\nx-powered-by: proxy-wasm-as\r\n/);
    const [head, body] = raw.split("\r\n\r\n");
    assert.equal(Number(/\r\ncontent-length: (\d+)\r\n/.exec(head)?.[1]), Buffer.byteLength(body));
  });

  test("a filter after the one that replied never saw the request, so its VM is not called on the reply (Envoy Context::encodeHeaders)", async () => {
    const raw = await get(after_);
    assert.match(raw, /^HTTP\/1\.1 404 Not Found\r\n/);
    assert.doesNotMatch(raw, /x-powered-by/);
  });
});
