// filters/add-header in the host: the header it adds, and configurations it refuses by key.
import assert from "node:assert/strict";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { buildFilters } from "../../../../envoy-test/build.ts";
import { Host, ManualClock, PluginLoadError } from "../../../../envoy-test/host/index.ts";
import { ROOT } from "../../../support/compile.ts";

const WASM = join(ROOT, "build/add-header.wasm");
before(async () => {
  const src = ["filters/add-header/index.ts", "filters/add-header/config.ts"].map((f) => statSync(join(ROOT, f)).mtimeMs);
  if (!existsSync(WASM) || statSync(WASM).mtimeMs < Math.max(...src)) await buildFilters(["add-header"]);
});

const CONFIG = JSON.stringify({ name: "x-powered-by", value: "proxy-wasm-as" });

test("adds the configured header to every response and leaves requests alone", async () => {
  const host = new Host({ clock: new ManualClock() });
  const p = await host.loadPlugin({ wasm: WASM, rootId: "add_header", configuration: CONFIG });
  for (let i = 0; i < 3; i++) {
    const s = p.createHttpStream();
    s.callOnRequestHeaders([[":method", "GET"], [":path", "/"], [":authority", "a"], [":scheme", "http"]]);
    s.callOnResponseHeaders([[":status", "200"], ["x-powered-by", "origin"]]);
    assert.deepEqual(s.requestHeaders.filter(([k]) => k === "x-powered-by"), []);
    assert.deepEqual(s.responseHeaders.filter(([k]) => k === "x-powered-by").map(([, v]) => v), ["origin", "proxy-wasm-as"]);
    s.complete();
  }
});

for (const [config, error] of [
  ['{"name": "x-a"}', "value: required"],
  ['{"name": "x-a", "value": 1}', "value: expected string, got number"],
  ['{"name": "x-a", "value": "v", "vaule": "w"}', "vaule: unknown key (known: name, value)"],
  ['{"name": "", "value": "v"}', "name: must not be empty"],
  ['{"name": "x-a", "value": "v",}', "configuration: invalid JSON at offset 29: expected a string key"],
  ["", "configuration: invalid JSON at offset 0: unexpected end of input"],
] as const) {
  test(`refuses the configuration ${JSON.stringify(config)} with "${error}"`, async () => {
    const host = new Host({ clock: new ManualClock() });
    await assert.rejects(host.loadPlugin({ wasm: WASM, rootId: "add_header", configuration: config }), PluginLoadError);
    assert.deepEqual(host.logs("error").map((e) => e.message).slice(0, 1), [`add-header: bad configuration: ${error}`]);
  });
}
