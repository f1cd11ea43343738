// A Wasm filter that buffers a body over several chunks (StopIterationAndBuffer until end of
// stream), through the host's stream alone and through the gateway's filter chain: the filter sees
// the whole buffered body on each call, and the body goes on once when it continues.
import assert from "node:assert/strict";
import { test } from "node:test";
import { FilterDataStatus, Host } from "../../envoy-test/host/index.ts";
import type { HeaderList, Plugin } from "../../envoy-test/host/index.ts";
import { FilterChain, type ChainSink } from "../../envoy-test/gateway/filter-chain.ts";
import { assemble } from "../support/wat.ts";

// Each body callback logs the body it sees (proxy_get_buffer_bytes over body_size bytes) and returns
// StopIterationAndBuffer (1) until end_of_stream, then Continue (0).
const BUFFERING = `(module
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_buffer_bytes" (func $get_buffer (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 65536))
  (func (export "proxy_abi_version_0_2_0"))
  (func (export "malloc") (param $size i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.and (i32.add (i32.add (local.get $p) (local.get $size)) (i32.const 7)) (i32.const -8)))
    (local.get $p))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
  (func $body (param $type i32) (param $size i32) (param $eos i32) (result i32)
    (i32.store (i32.const 256) (i32.const 0))
    (i32.store (i32.const 260) (i32.const 0))
    (drop (call $get_buffer (local.get $type) (i32.const 0) (local.get $size) (i32.const 256) (i32.const 260)))
    (drop (call $log (i32.const 2) (i32.load (i32.const 256)) (i32.load (i32.const 260))))
    (if (result i32) (local.get $eos) (then (i32.const 0)) (else (i32.const 1))))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_request_body") (param $ctx i32) (param $size i32) (param $eos i32) (result i32)
    (call $body (i32.const 0) (local.get $size) (local.get $eos)))
  (func (export "proxy_on_response_body") (param $ctx i32) (param $size i32) (param $eos i32) (result i32)
    (call $body (i32.const 1) (local.get $size) (local.get $eos)))
  (func (export "proxy_on_done") (param i32) (result i32) (i32.const 1))
  (func (export "proxy_on_log") (param i32))
  (func (export "proxy_on_delete") (param i32)))`;

const bytes = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => new TextDecoder().decode(b);
const REQ: HeaderList = [[":method", "POST"], [":path", "/upload"], [":authority", "gw"], [":scheme", "http"]];
const RES: HeaderList = [[":status", "200"]];

async function load(): Promise<{ host: Host; plugin: Plugin }> {
  const host = new Host();
  const plugin = await host.loadPlugin({ wasm: await assemble(BUFFERING, "buffering.wat"), rootId: "b", workers: 1 });
  return { host, plugin };
}
const seen = (host: Host) => host.logs().map((e) => e.message);

test("host stream: a buffering filter sees the whole buffered body each call, and it once", async () => {
  const { host, plugin } = await load();
  const s = plugin.createHttpStream();
  s.callOnRequestHeaders(REQ, false);
  assert.equal(s.callOnRequestBody(bytes("aa"), false), FilterDataStatus.StopIterationAndBuffer);
  assert.equal(s.callOnRequestBody(bytes("bb"), false), FilterDataStatus.StopIterationAndBuffer);
  assert.equal(s.callOnRequestBody(bytes("cc"), true), FilterDataStatus.Continue);
  assert.equal(str(s.requestBody), "aabbcc");
  s.callOnResponseHeaders(RES, false);
  s.callOnResponseBody(bytes("xx"), false);
  s.callOnResponseBody(bytes("yy"), false);
  assert.equal(s.callOnResponseBody(bytes("zz"), true), FilterDataStatus.Continue);
  assert.equal(str(s.responseBody), "xxyyzz");
  assert.deepEqual(seen(host), ["aa", "aabb", "aabbcc", "xx", "xxyy", "xxyyzz"]);
});

test("gateway chain: a buffering filter sees the whole buffered body each call; upstream and client get it once", async () => {
  const { host, plugin } = await load();
  const out: string[] = [];
  const sink: ChainSink = {
    onRequestHeaders: () => out.push("router"),
    onRequestData: (d, eos) => out.push(`upstream(${str(d)}${eos ? ",eos" : ""})`),
    onResponseHeaders: () => out.push("client:headers"),
    onResponseData: (d, eos) => out.push(`client(${str(d)}${eos ? ",eos" : ""})`),
    onLocalReply: (r) => out.push(`local:${r.status}`),
    onReset: () => out.push("reset"),
  };
  const c = new FilterChain([plugin], 0, {}, sink);
  c.decodeHeaders(REQ, false);
  for (const [chunk, eos] of [["aa", false], ["bb", false], ["cc", true]] as const) c.decodeData(bytes(chunk), eos);
  c.encodeUpstreamHeaders(RES, false);
  for (const [chunk, eos] of [["xx", false], ["yy", false], ["zz", true]] as const) c.encodeData(bytes(chunk), eos);
  assert.deepEqual(seen(host), ["aa", "aabb", "aabbcc", "xx", "xxyy", "xxyyzz"]);
  assert.deepEqual(out, ["router", "upstream(aabbcc,eos)", "client:headers", "client(xxyyzz,eos)"]);
  c.complete();
});

test("gateway chain: two buffering filters; the second sees the first's body once, whole", async () => {
  const a = await load(); const b = await load();
  const out: string[] = [];
  const sink: ChainSink = {
    onRequestHeaders: () => {}, onRequestData: (d, eos) => out.push(`upstream(${str(d)}${eos ? ",eos" : ""})`),
    onResponseHeaders: () => {}, onResponseData: (d, eos) => out.push(`client(${str(d)}${eos ? ",eos" : ""})`),
    onLocalReply: (r) => out.push(`local:${r.status}`), onReset: () => out.push("reset"),
  };
  const c = new FilterChain([a.plugin, b.plugin], 0, {}, sink);
  c.decodeHeaders(REQ, false);
  for (const [chunk, eos] of [["aa", false], ["bb", false], ["cc", true]] as const) c.decodeData(bytes(chunk), eos);
  c.encodeUpstreamHeaders(RES, false);
  for (const [chunk, eos] of [["xx", false], ["yy", false], ["zz", true]] as const) c.encodeData(bytes(chunk), eos);
  assert.deepEqual(seen(a.host), ["aa", "aabb", "aabbcc", "xxyyzz"], "the first filter gets the response last, once");
  assert.deepEqual(seen(b.host), ["aabbcc", "xx", "xxyy", "xxyyzz"]);
  assert.deepEqual(out, ["upstream(aabbcc,eos)", "client(xxyyzz,eos)"]);
  c.complete();
});
