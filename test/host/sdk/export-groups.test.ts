// Modules that re-export only some callback groups (sdk/exports/common, http, network,
// callouts): Envoy never calls an export that is missing (proxy-wasm-cpp-host src/context.cc
// treats it as Continue), so the SDK must refuse what would silently fail.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { Host, ManualClock } from "../../../envoy-test/host/index.ts";
import { checkModule } from "../../../envoy-test/host/module-check.ts";
import { readFileSync } from "node:fs";
import { buildFixture } from "../../support/compile.ts";

let wasm = "";
before(async () => { wasm = await buildFixture("test/fixtures/sdk/http-only.ts"); });

test("an HTTP-only module exports no network or callout callbacks", () => {
  const names = checkModule(readFileSync(wasm)).info.exports.map((e) => e.name);
  for (const n of ["proxy_on_context_create", "proxy_on_configure", "proxy_on_request_headers", "proxy_on_response_body", "proxy_on_delete", "malloc"]) {
    assert.ok(names.includes(n), `${n} exported`);
  }
  for (const n of ["proxy_on_new_connection", "proxy_on_downstream_data", "proxy_on_http_call_response", "proxy_on_grpc_receive"]) {
    assert.ok(!names.includes(n), `${n} not exported`);
  }
});

test("a callout from a module without the callout exports is refused with an error naming the fix", async () => {
  const host = new Host({ clock: new ManualClock() });
  const p = await host.loadPlugin({ wasm, rootId: "http_only" });
  const s = p.createHttpStream();
  s.callOnRequestHeaders([[":method", "GET"], [":path", "/"], [":authority", "a"], [":scheme", "http"]]);
  assert.deepEqual(s.requestHeaders.filter(([k]) => k === "x-token").map(([, v]) => v), ["0"]);
  assert.deepEqual(s.requestHeaders.filter(([k]) => k === "x-result").map(([, v]) => v), ["Unimplemented"]);
  assert.equal(host.pendingCallouts().length, 0);
  assert.deepEqual(host.logs("error").map((e) => e.message),
    ["httpCall: callout answers not exported; add export * from sdk/exports/callouts"]);
});
