// @solo-io/proxy-runtime 0.1.8's README add_header example, with only its import paths changed
// (test/fixtures/compat/add_header.ts), builds against sdk/compat/proxy-runtime.ts and behaves
// as its README says in the Envoy-like host.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { Host, ManualClock, checkModule } from "../../../envoy-test/host/index.ts";
import { readFileSync } from "node:fs";
import { buildFixture } from "../../support/compile.ts";

let wasm = "";
before(async () => { wasm = await buildFixture("test/fixtures/compat/add_header.ts"); });

test("the example builds into a module Envoy would load (ABI 0.2.1, only registered imports)", () => {
  const check = checkModule(readFileSync(wasm));
  assert.deepEqual(check.errors, []);
  assert.equal(check.ok, true);
  assert.equal(check.abi, "0_2_1");
});

test('with an empty configuration it adds "hello: world!" to responses', async () => {
  const host = new Host({ clock: new ManualClock() });
  const p = await host.loadPlugin({ wasm, rootId: "add_header", configuration: "" });
  const s = p.createHttpStream();
  s.callOnRequestHeaders([[":method", "GET"], [":path", "/"], [":authority", "a"], [":scheme", "http"]]);
  s.callOnResponseHeaders([[":status", "200"]]);
  assert.deepEqual(s.responseHeaders.filter(([k]) => k === "hello"), [["hello", "world!"]]);
});

test("with a configuration it adds that text as the header value", async () => {
  const host = new Host({ clock: new ManualClock() });
  const p = await host.loadPlugin({ wasm, rootId: "add_header", configuration: "what ever you want" });
  const s = p.createHttpStream();
  s.callOnRequestHeaders([[":method", "GET"], [":path", "/"], [":authority", "a"], [":scheme", "http"]]);
  s.callOnResponseHeaders([[":status", "200"]]);
  assert.deepEqual(s.responseHeaders.filter(([k]) => k === "hello"), [["hello", "what ever you want"]]);
});

test("a root id the example did not register fails configuration with an error log", async () => {
  const host = new Host({ clock: new ManualClock() });
  await assert.rejects(host.loadPlugin({ wasm, rootId: "other", configuration: "" }));
  assert.ok(host.logs("error").some((e) => e.message.includes('root_id "other"')));
});
