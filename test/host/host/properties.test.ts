// Property values as Envoy serialises them (context.cc serializeValue) and the request.* /
// response.* attributes derived from a stream's headers.
import assert from "node:assert/strict";
import { test } from "node:test";
import { encodeProperty } from "../../../envoy-test/host/index.ts";
import { derivedHttpProperty, splitPath } from "../../../envoy-test/host/properties.ts";

const hex = (b: Uint8Array | null) => (b ? Buffer.from(b).toString("hex") : null);

test("strings are raw bytes, integers 8-byte little-endian, doubles IEEE, booleans one byte", () => {
  assert.equal(hex(encodeProperty("10.0.0.1:5555")), Buffer.from("10.0.0.1:5555").toString("hex"));
  assert.equal(hex(encodeProperty(443)), "bb01000000000000");
  assert.equal(hex(encodeProperty(-1)), "ffffffffffffffff");
  assert.equal(hex(encodeProperty(2n ** 63n)), "0000000000000080");
  assert.equal(hex(encodeProperty(0.5)), "000000000000e03f");
  assert.equal(hex(encodeProperty(true)), "01");
  assert.equal(hex(encodeProperty(null)), null);
});

test("a property path is split at NUL bytes, a trailing NUL ignored", () => {
  const p = (s: string) => splitPath(new TextEncoder().encode(s));
  assert.deepEqual(p("request\0path"), ["request", "path"]);
  assert.deepEqual(p("request\0headers\0x-id\0"), ["request", "headers", "x-id"]);
  assert.deepEqual(p("plugin_root_id"), ["plugin_root_id"]);
  assert.deepEqual(p(""), []);
});

test("request and response attributes come from the stream's headers", () => {
  const req: [string, string][] = [[":method", "GET"], [":path", "/messages?token=1"], [":authority", "wss.example"], [":scheme", "https"],
    ["user-agent", "ua"], ["x-request-id", "r1"], ["x-multi", "a"], ["x-multi", "b"]];
  const resp: [string, string][] = [[":status", "101"]];
  const d = (...parts: string[]) => derivedHttpProperty(parts, req, resp, []);
  assert.equal(d("request", "path"), "/messages?token=1");
  assert.equal(d("request", "url_path"), "/messages");
  assert.equal(d("request", "query"), "token=1");
  assert.equal(d("request", "host"), "wss.example");
  assert.equal(d("request", "scheme"), "https");
  assert.equal(d("request", "method"), "GET");
  assert.equal(d("request", "useragent"), "ua");
  assert.equal(d("request", "id"), "r1");
  assert.equal(d("request", "headers", "X-Multi"), "a,b", "header lookups are case-insensitive and join repeated values");
  assert.equal(d("response", "code"), 101);
  assert.deepEqual(d("request", "headers"), req);
  assert.equal(d("request", "referer"), null);
  assert.equal(d("source", "address"), undefined, "not derived from headers");
});

test("xds.node is the Node protobuf; the old top-level node name is not resolved, as in current Envoy", async () => {
  const { Host } = await import("../../../envoy-test/host/index.ts");
  const { fixture } = await import("../../support/wat.ts");
  const host = new Host();
  const plugin = await host.loadPlugin({ wasm: await fixture("services.wat"), rootId: "svc", workers: 1 });
  const s = plugin.createHttpStream();
  // Node { id: "proxy-wasm-as" (field 1), cluster: "local" (field 2) }
  assert.equal(hex(s.property(["xds", "node"])), "0a0d70726f78792d7761736d2d6173" + "12056c6f63616c");
  assert.equal(s.property(["node"]), null);
  s.callOnRequestHeaders([[":path", "/upload"]]);
  s.callOnRequestBody(new Uint8Array(5));
  assert.equal(hex(s.property(["request", "size"])), "0500000000000000");
});
