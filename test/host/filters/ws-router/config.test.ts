// ws-router configuration through the host: a bad configuration fails on_configure, the plugin
// is refused (as Envoy refuses it), and the error log names the key.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { Host, ManualClock, type LogEntry } from "../../../../envoy-test/host/index.ts";
import { CONFIG, ensureBuilt, upgrade, values } from "../../../../bench/support/ws-router.ts";

let wasm: string;
before(async () => { wasm = await ensureBuilt(); });

async function refused(configuration: string): Promise<string[]> {
  const logs: LogEntry[] = [];
  const host = new Host({ clock: new ManualClock(), onLog: (e) => logs.push(e) });
  await assert.rejects(host.loadPlugin({ wasm, rootId: "ws_router", configuration }));
  return logs.filter((e) => e.level === "error").map((e) => e.message);
}

const SVC = `"services": [{"name": "messages", "cluster": "messages"}]`;
const ROUTE = `"routes": [{"prefix": "/messages", "service": "messages"}]`;

const BAD: [string, string, string][] = [
  ["an empty configuration", "", "configuration: invalid JSON"],
  ["invalid JSON", `{"services": [`, "configuration: invalid JSON"],
  ["a missing routes list", `{${SVC}}`, "routes: required"],
  ["an unknown key", `{${SVC}, ${ROUTE}, "default_cluster": "x"}`, "default_cluster: unknown key"],
  ["a route to an unknown service", `{${SVC}, "routes": [{"prefix": "/chat", "service": "chat"}]}`, `routes[0].service: unknown service "chat" (services: messages)`],
  ["a prefix without a slash", `{${SVC}, "routes": [{"prefix": "messages", "service": "messages"}]}`, `routes[0].prefix: "messages" must start with "/"`],
  ["a wrong type deep inside", `{"services": [{"name": "messages", "cluster": "m", "shard": {"query": "team", "clusters": ["a", 2]}}], ${ROUTE}}`, "services[0].shard.clusters[1]: expected string"],
  ["an invalid header name", `{"cluster_header": "x cluster", ${SVC}, ${ROUTE}}`, `cluster_header: "x cluster" is not a valid header name`],
];

for (const [what, configuration, expected] of BAD) {
  test(`${what} is refused and the error log names it: ${expected}`, async () => {
    const errors = await refused(configuration);
    assert.ok(errors.some((m) => m.includes("ws_router: bad configuration: " + expected)),
      `expected an error containing ${JSON.stringify(expected)}, got ${JSON.stringify(errors)}`);
  });
}

test("custom header names are used for the service and the cluster, and stripped from clients", async () => {
  const host = new Host({ clock: new ManualClock() });
  const plugin = await host.loadPlugin({
    wasm, rootId: "ws_router",
    configuration: `{"service_header": "x-edge-service", "cluster_header": "x-edge-cluster", ${SVC}, ${ROUTE}}`,
  });
  const s = plugin.createHttpStream();
  s.callOnRequestHeaders(upgrade("/messages", "h", [["x-edge-cluster", "evil"], ["x-wss-cluster", "evil"]]));
  assert.deepEqual(values(s.requestHeaders, "x-edge-service"), ["messages"]);
  assert.deepEqual(values(s.requestHeaders, "x-edge-cluster"), ["messages"]);
  assert.deepEqual(values(s.requestHeaders, "x-wss-cluster"), []);
  s.complete();
});

test("the fixture configuration loads on every worker", async () => {
  const host = new Host({ clock: new ManualClock() });
  const plugin = await host.loadPlugin({ wasm, rootId: "ws_router", configuration: CONFIG, workers: 3 });
  assert.equal(plugin.workers.length, 3);
  assert.equal(plugin.failed, false);
});

test("a refused reconfiguration keeps the previous route table; an accepted one replaces it", async () => {
  const host = new Host({ clock: new ManualClock() });
  const plugin = await host.loadPlugin({ wasm, rootId: "ws_router", configuration: `{${SVC}, ${ROUTE}}` });
  const cluster = (path: string) => {
    const s = plugin.createHttpStream();
    s.callOnRequestHeaders(upgrade(path));
    const c = s.localResponse ? `${s.localResponse.status}` : values(s.requestHeaders, "x-wss-cluster")[0];
    s.complete();
    return c;
  };
  assert.equal(cluster("/messages"), "messages");
  assert.equal(plugin.configure(`{${SVC}, "routes": []}`), false);
  assert.equal(cluster("/messages"), "messages", "still the old table");
  assert.equal(plugin.configure(`{"services": [{"name": "chat", "cluster": "chat-v2"}], "routes": [{"prefix": "/chat", "service": "chat"}]}`), true);
  assert.equal(cluster("/chat"), "chat-v2");
  assert.equal(cluster("/messages"), "404");
});

test("the module's default cluster_header is the one the config builder and validator assume", async () => {
  const { WS_ROUTER_CLUSTER_HEADER } = await import("../../../../envoy-test/config/filter-knowledge.ts");
  const plugin = await new Host({ clock: new ManualClock() }).loadPlugin({ wasm, rootId: "ws_router", configuration: `{${SVC}, ${ROUTE}}` });
  const s = plugin.createHttpStream();
  s.callOnRequestHeaders(upgrade("/messages"));
  assert.deepEqual(s.requestHeaders.find(([k]) => k === WS_ROUTER_CLUSTER_HEADER), [WS_ROUTER_CLUSTER_HEADER, "messages"]);
  s.complete();
});
