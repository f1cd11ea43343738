// The happy path's hostcall budget (issue 6: <= 6 per request), counted on the compiled module.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Host, ManualClock, FilterHeadersStatus, type Plugin } from "../../envoy-test/host/index.ts";
import { CONFIG, ensureBuilt, upgrade } from "./ws-router-fixture.ts";
import { HostcallCounter } from "./ws-router-hostcalls.ts";

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

test("each distinct spoofed internal header costs one removal", () => {
  const st = plugin.createHttpStream();
  const calls = counter.during(() => {
    st.callOnRequestHeaders(upgrade("/messages", "wss-primary.slack.com", [
      ["x-wss-cluster", "a"], ["x-wss-cluster", "b"], ["x-slack-internal-user", "U1"],
    ]));
  });
  assert.deepEqual(calls.filter((c) => c === "proxy_remove_header_map_value").length, 2);
});
