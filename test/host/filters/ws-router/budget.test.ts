// The happy path's hostcall budget (<= 6 per request, the bench target), counted on the compiled module.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Host, ManualClock, FilterHeadersStatus, type Plugin } from "../../../../envoy-test/host/index.ts";
import { CONFIG, ensureBuilt, upgrade } from "../../../../bench/support/ws-router.ts";
import { HostcallCounter } from "../../../../bench/support/hostcall-counter.ts";

const counter = new HostcallCounter();
let plugin: Plugin;

before(async () => {
  const wasm = await ensureBuilt();
  counter.install();
  plugin = await new Host({ clock: new ManualClock() }).loadPlugin({ wasm, rootId: "ws_router", configuration: CONFIG });
  counter.uninstall(); // the instances made while installed keep their counting imports
});
after(() => counter.uninstall());

test("a routed upgrade costs one header read and two header writes: 3 hostcalls, within the budget of 6", () => {
  // Warm up once (first-use caches such as the log level), then count steady-state requests.
  plugin.createHttpStream().callOnRequestHeaders(upgrade("/messages"));
  for (const path of ["/messages", "/presence?team=T1", "/presence", "/apps"]) {
    let status = -1;
    let headerCalls: string[] = [];
    const lifecycle = counter.during(() => {
      const st = plugin.createHttpStream();
      headerCalls = counter.during(() => { status = st.callOnRequestHeaders(upgrade(path)); });
      st.complete();
    });
    assert.equal(status, FilterHeadersStatus.Continue);
    assert.deepEqual(headerCalls, [
      "proxy_get_header_map_pairs",
      "proxy_replace_header_map_value",
      "proxy_replace_header_map_value",
    ], path);
    assert.ok(lifecycle.length <= 6, `${path}: the whole stream made ${lifecycle.length} hostcalls: ${lifecycle.join(", ")}`);
  }
});

test("spoofed internal headers cost one map write however many there are, and none reaches the router", () => {
  for (const spoofed of [
    [["x-wss-cluster", "a"], ["x-wss-cluster", "b"], ["x-slack-internal-user", "U1"]] as [string, string][],
    // A flood of distinct names: one pass over the pairs, no removal per name.
    Array.from({ length: 4000 }, (_, i): [string, string] => [`x-wss-f${i}`, "1"]),
  ]) {
    const st = plugin.createHttpStream();
    let status = -1;
    const calls = counter.during(() => {
      status = st.callOnRequestHeaders(upgrade("/messages", "wss-primary.slack.com", [...spoofed, ["x-after", "kept"]]));
    });
    assert.equal(status, FilterHeadersStatus.Continue);
    assert.deepEqual(calls, ["proxy_get_header_map_pairs", "proxy_set_header_map_pairs"], `${spoofed.length} spoofed`);
    const h = st.requestHeaders;
    assert.deepEqual(h.filter(([k]) => k.startsWith("x-wss-") || k === "x-slack-internal-user"),
      [["x-wss-service", "messages"], ["x-wss-cluster", "messages"]]);
    assert.deepEqual(h.find(([k]) => k === "x-after"), ["x-after", "kept"]);
    assert.deepEqual(h.slice(0, 3).map(([k]) => k), upgrade("/messages").slice(0, 3).map(([k]) => k), "the other headers keep their order");
    st.complete();
  }
});
