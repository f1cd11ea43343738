// HTTP streams as Envoy's wasm filter drives them: header maps, bodies, statuses, local replies,
// lifecycle order.
import assert from "node:assert/strict";
import { test } from "node:test";
import { FilterDataStatus, FilterHeadersStatus, Host, encodePairs, decodePairs } from "../../../envoy-test/host/index.ts";
import { assemble, fixture } from "../../support/wat.ts";
import { get } from "./requests.ts";

const bytes = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => new TextDecoder().decode(b);

async function filter() {
  const host = new Host();
  const plugin = await host.loadPlugin({ wasm: await fixture("filter.wat"), rootId: "f" });
  return { host, plugin };
}

test("header pairs serialise as count, sizes, then NUL-terminated keys and values", () => {
  const b = encodePairs([[":path", "/a"], ["x", ""]]);
  assert.equal(Buffer.from(b).toString("hex"),
    "02000000" + "05000000" + "02000000" + "01000000" + "00000000" + Buffer.from(":path\0/a\0x\0\0").toString("hex"));
  assert.deepEqual(decodePairs(b), [[":path", "/a"], ["x", ""]]);
  assert.deepEqual(decodePairs(b.subarray(0, b.length - 1)), [], "a truncated list reads as no pairs, as in cpp-host");
});

test("request headers are lower-cased and a header the filter adds is visible after the call", async () => {
  const { plugin } = await filter();
  const s = plugin.createHttpStream();
  s.callOnRequestHeaders([[":path", "/Mixed"], ["X-Client", "A"]]);
  assert.deepEqual(s.requestHeaders, [[":path", "/Mixed"], ["x-client", "A"], ["x-path", "/Mixed"]]);
});

test("a local reply sent while the filter returns Continue stops the stream (StopAllIterationAndWatermark)", async () => {
  const { plugin } = await filter();
  const s = plugin.createHttpStream();
  assert.equal(s.callOnRequestHeaders(get("/deny")), FilterHeadersStatus.StopAllIterationAndWatermark);
  assert.ok(s.localResponse);
  assert.equal(s.localResponse.status, 403);
  assert.equal(s.localResponse.details, "denied_by_wat", "Envoy replaces whitespace in details with '_'");
  assert.equal(str(s.localResponse.body), "no");
  assert.deepEqual(s.localResponse.headers, [["x-reason", "wat"]]);
  assert.equal(s.localResponse.grpcStatus, -1, "-1 from the module means no grpc-status");
});

test("StopIteration from a header callback becomes StopAllIterationAndWatermark (cpp-host, ABI 0.2.x)", async () => {
  const { plugin } = await filter();
  const s = plugin.createHttpStream();
  assert.equal(s.callOnRequestHeaders(get("/stop")), FilterHeadersStatus.StopAllIterationAndWatermark);
});

test("a body chunk the filter appends to reaches the driver modified", async () => {
  const { plugin } = await filter();
  const s = plugin.createHttpStream();
  s.callOnRequestHeaders(get("/upload"));
  assert.equal(s.callOnRequestBody(bytes("abc"), true), FilterDataStatus.Continue);
  assert.equal(str(s.requestBody), "abc!");
  s.callOnResponseHeaders([[":status", "200"]]);
  s.callOnResponseBody(bytes("xyz"), false);
  assert.equal(str(s.responseBody), "<xyz", "start 0, length 0 prepends");
});

const LIFECYCLE = `(module
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_pairs" (func $pairs (param i32 i32 i32) (result i32)))
  (import "env" "proxy_set_buffer_bytes" (func $set_buffer (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_value" (func $get_header (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 4096))
  (global $last (export "last_result") (mut i32) (i32.const -1))
  (func (export "malloc") (param $n i32) (result i32) (local $p i32)
    (local.set $p (global.get $heap)) (global.set $heap (i32.add (local.get $p) (local.get $n))) (local.get $p))
  (func (export "proxy_abi_version_0_2_1"))
  (data (i32.const 100) "createheadersdonelogdelete:pathXY")
  (func (export "proxy_on_context_create") (param $id i32) (param $parent i32)
    (if (local.get $parent) (then (drop (call $log (i32.const 2) (i32.const 100) (i32.const 6))))))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (drop (call $log (i32.const 2) (i32.const 106) (i32.const 7)))
    ;; serialise the map and log it raw, so the test sees exactly what the module received
    (drop (call $pairs (i32.const 0) (i32.const 16) (i32.const 20)))
    (drop (call $log (i32.const 2) (i32.load (i32.const 16)) (i32.load (i32.const 20))))
    (i32.const 0))
  (func (export "proxy_on_response_body") (param i32 i32 i32) (result i32)
    ;; start 0, length 1: drop the first byte and put "XY" in front
    (global.set $last (call $set_buffer (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 131) (i32.const 2)))
    (i32.const 0))
  (func (export "proxy_on_response_trailers") (param i32 i32) (result i32)
    ;; request headers are gone once the request continued: BadArgument (2)
    (global.set $last (call $get_header (i32.const 0) (i32.const 126) (i32.const 5) (i32.const 16) (i32.const 20)))
    (i32.const 0))
  (func (export "proxy_on_done") (param i32) (result i32) (drop (call $log (i32.const 2) (i32.const 113) (i32.const 4))) (i32.const 1))
  (func (export "proxy_on_log") (param i32) (drop (call $log (i32.const 2) (i32.const 117) (i32.const 3))))
  (func (export "proxy_on_delete") (param i32) (drop (call $log (i32.const 2) (i32.const 120) (i32.const 6)))))`;

test("a stream's context is created with its headers and ends with log, done, delete (Envoy's HCM order)", async () => {
  const host = new Host();
  const plugin = await host.loadPlugin({ wasm: await assemble(LIFECYCLE), rootId: "l", workers: 1 });
  const s = plugin.createHttpStream();
  assert.deepEqual(host.logs().map((e) => e.message), [], "no callback before the first headers");
  s.callOnRequestHeaders([[":path", "/p"], ["a", "b"]]);
  s.complete();
  const lines = host.logs().map((e) => e.message);
  assert.deepEqual(lines, ["create", "headers", ":path\0/p\0a\0b\0".replace(/^/, "\x02\0\0\0\x05\0\0\0\x02\0\0\0\x01\0\0\0\x01\0\0\0"), "log", "done", "delete"]);
  assert.ok(host.logs().slice(0, 2).every((e) => e.contextId === s.contextId && e.contextId === 2));
  assert.deepEqual(plugin.workers[0].contextIds, [1], "the stream context is gone, the root stays");
});

test("set_buffer_bytes with start 0 and a length drains that many bytes and prepends the data", async () => {
  const host = new Host();
  const plugin = await host.loadPlugin({ wasm: await assemble(LIFECYCLE), rootId: "l", workers: 1 });
  const s = plugin.createHttpStream();
  s.callOnRequestHeaders(get("/"));
  s.callOnResponseHeaders([[":status", "200"]]);
  s.callOnResponseBody(bytes("abc"));
  assert.equal(str(s.responseBody), "XYbc");
});

test("request headers cannot be read once the request has continued (BadArgument)", async () => {
  const host = new Host();
  const plugin = await host.loadPlugin({ wasm: await assemble(LIFECYCLE), rootId: "l", workers: 1 });
  const s = plugin.createHttpStream();
  s.callOnRequestHeaders(get("/"));
  s.callOnResponseHeaders([[":status", "200"]]);
  s.callOnResponseTrailers([["grpc-status", "0"]]);
  assert.equal((plugin.workers[0].vm.instance.exports.last_result as WebAssembly.Global).value, 2);
});

const MAPS = `(module
  (import "env" "proxy_get_header_map_size" (func $size (param i32 i32) (result i32)))
  (import "env" "proxy_add_header_map_value" (func $add (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_replace_header_map_value" (func $replace (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_remove_header_map_value" (func $remove (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "malloc") (param i32) (result i32) (i32.const 4096))
  (func (export "proxy_abi_version_0_2_1"))
  (global $size (export "map_size") (mut i32) (i32.const -1))
  (global $trailer (export "trailer_result") (mut i32) (i32.const -1))
  (data (i32.const 100) "DUPonegone:pseudo1x-trailert")
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (drop (call $size (i32.const 0) (i32.const 16)))
    (global.set $size (i32.load (i32.const 16)))
    (drop (call $replace (i32.const 0) (i32.const 100) (i32.const 3) (i32.const 103) (i32.const 3)))
    (drop (call $remove (i32.const 0) (i32.const 106) (i32.const 4)))
    (drop (call $add (i32.const 0) (i32.const 110) (i32.const 7) (i32.const 117) (i32.const 1)))
    (i32.const 0))
  (func (export "proxy_on_request_body") (param i32 i32) (param $eos i32) (result i32)
    (global.set $trailer (call $add (i32.const 1) (i32.const 118) (i32.const 9) (i32.const 127) (i32.const 1)))
    (i32.const 0)))`;

test("header map edits: byte size, replace keeps one entry, remove, pseudo-headers stay first", async () => {
  const host = new Host();
  const plugin = await host.loadPlugin({ wasm: await assemble(MAPS), rootId: "m", workers: 1 });
  const ex = plugin.workers[0].vm.instance.exports as Record<string, WebAssembly.Global>;
  const s = plugin.createHttpStream();
  s.callOnRequestHeaders([[":path", "/"], ["dup", "a"], ["gone", "x"], ["dup", "b"]]);
  assert.equal(ex.map_size.value, ":path/dupagonexdupb".length, "proxy_get_header_map_size is the byte size");
  assert.deepEqual(s.requestHeaders, [[":path", "/"], [":pseudo", "1"], ["dup", "one"]]);
});

test("trailers can be added from the last request body chunk only", async () => {
  const host = new Host();
  const plugin = await host.loadPlugin({ wasm: await assemble(MAPS), rootId: "m", workers: 1 });
  const ex = plugin.workers[0].vm.instance.exports as Record<string, WebAssembly.Global>;
  const s = plugin.createHttpStream();
  s.callOnRequestHeaders(get("/"));
  s.callOnRequestBody(bytes("part"), false);
  assert.equal(ex.trailer_result.value, 2, "BadArgument before the end of the stream");
  s.callOnRequestBody(bytes("last"), true);
  assert.equal(ex.trailer_result.value, 0);
  assert.deepEqual(s.requestTrailers, [["x-trailer", "t"]]);
});

test("the driver's header arrays are never changed by the filter", async () => {
  const { plugin } = await filter();
  const req: [string, string][] = [[":path", "/x"]];
  const resp: [string, string][] = [[":status", "200"], ["server", "upstream"]];
  const s = plugin.createHttpStream();
  s.callOnRequestHeaders(req);
  s.callOnResponseHeaders(resp);
  assert.deepEqual(req, [[":path", "/x"]]);
  assert.deepEqual(resp, [[":status", "200"], ["server", "upstream"]]);
  assert.deepEqual(s.responseHeaders, [[":status", "200"], ["server", "wat"]]);
});
