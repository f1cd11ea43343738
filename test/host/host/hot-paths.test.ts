// The host's fast paths keep Envoy's results: bytes copied out after malloc grew memory land in
// the new memory, strings reach the module as UTF-8 whatever their characters, out-params past the
// end answer InvalidMemoryAccess, and bodies the host builds stay independent of each other.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Host, WasmResult } from "../../../envoy-test/host/index.ts";
import { assemble } from "../../support/wat.ts";
import { get } from "./requests.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

// A module whose malloc grows memory by one page on every call and hands out the new page, so
// every copy-out happens right after memory.buffer was replaced. Out-params: ptr at 8, size at
// 12 (or where set_out puts them); the hostcall's result is exported as last_result.
const GROWING = `(module
  (import "env" "proxy_get_buffer_bytes" (func $bytes (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_buffer_status" (func $status (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_pairs" (func $pairs (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_value" (func $value (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_buffer_bytes" (func $set (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "x-name")
  (data (i32.const 80) "<>")
  (global $last (export "last_result") (mut i32) (i32.const -1))
  (global $out (mut i32) (i32.const 8))
  ;; where the next out-params go: 8 normally, or set by the test to a spot past the end
  (func (export "set_out") (param i32) (global.set $out (local.get 0)))
  (func (export "malloc") (param $n i32) (result i32)
    (local $old i32)
    (local.set $old (memory.grow (i32.add (i32.shr_u (local.get $n) (i32.const 16)) (i32.const 1))))
    (i32.mul (local.get $old) (i32.const 65536)))
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (global.set $last (call $pairs (i32.const 0) (global.get $out) (i32.add (global.get $out) (i32.const 4))))
    (i32.const 0))
  (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32)
    (global.set $last (call $value (i32.const 2) (i32.const 64) (i32.const 6) (global.get $out) (i32.add (global.get $out) (i32.const 4))))
    (i32.const 0))
  (func (export "proxy_on_request_body") (param i32 i32 i32) (result i32)
    ;; bytes 2..5 of the chunk: a part, not the whole
    (global.set $last (call $bytes (i32.const 0) (i32.const 2) (i32.const 4) (global.get $out) (i32.add (global.get $out) (i32.const 4))))
    (i32.const 0))
  (func (export "proxy_on_response_body") (param i32 i32 i32) (result i32)
    (if (i32.eq (local.get 1) (i32.const 5))
      (then (global.set $last (call $status (i32.const 1) (global.get $out) (i32.add (global.get $out) (i32.const 4)))) (return (i32.const 0))))
    (if (i32.eq (local.get 1) (i32.const 6))
      ;; start 0, length 1: drop the first byte and prepend "<>"
      (then (global.set $last (call $set (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 80) (i32.const 2))) (return (i32.const 0))))
    (global.set $last (call $bytes (i32.const 1) (i32.const 0) (local.get 1) (global.get $out) (i32.add (global.get $out) (i32.const 4))))
    (i32.const 0))
  (func (export "proxy_on_done") (param i32) (result i32) (i32.const 1))
  (func (export "proxy_on_delete") (param i32)))`;

async function growing() {
  const host = new Host();
  const plugin = await host.loadPlugin({ wasm: await assemble(GROWING), rootId: "g", workers: 1 });
  const w = plugin.workers[0];
  const exports = w.vm.instance.exports as { last_result: WebAssembly.Global; set_out: (p: number) => void };
  /** the bytes the module was handed: [*8, *8 + *12) of its memory, read after the call */
  const handed = () => {
    const m = w.memoryBytes();
    const dv = new DataView(m.buffer);
    const p = dv.getUint32(8, true), n = dv.getUint32(12, true);
    return { p, bytes: m.subarray(p, p + n) };
  };
  return { plugin, w, handed, last: () => exports.last_result.value as number, setOut: exports.set_out };
}

test("a whole body chunk read while malloc grows memory arrives byte for byte in the new page", async () => {
  const { plugin, w, handed, last } = await growing();
  const s = plugin.createHttpStream();
  s.callOnRequestHeaders(get("/"));
  s.callOnResponseHeaders([[":status", "200"]]);
  const chunk = new Uint8Array(1024);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 7 + 3) & 0xff;
  const pagesBefore = w.memoryBytes().length / 65536;
  s.callOnResponseBody(chunk, false);
  assert.equal(last(), WasmResult.Ok);
  const { p, bytes } = handed();
  assert.equal(p, pagesBefore * 65536, "the block is the page malloc just added");
  assert.equal(hex(bytes), hex(chunk));
  s.callOnResponseBody(chunk.subarray(0, 900), false);
  assert.equal(hex(handed().bytes), hex(chunk.subarray(0, 900)), "a second, shorter chunk: the new length and bytes");
});

test("part of a request body (start 2, length 4) is copied out exactly", async () => {
  const { plugin, handed, last } = await growing();
  const s = plugin.createHttpStream();
  s.callOnRequestHeaders(get("/"));
  s.callOnRequestBody(Uint8Array.from([0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17]), false);
  assert.equal(last(), WasmResult.Ok);
  assert.equal(hex(handed().bytes), "12131415");
});

test("header values reach the module as UTF-8: accents, a snowman, a surrogate pair, a lone surrogate", async () => {
  const { plugin, handed, last } = await growing();
  const s = plugin.createHttpStream();
  s.callOnRequestHeaders(get("/"));
  s.callOnResponseHeaders([[":status", "200"], ["x-name", "é☃\u{1d11e}\ud800é"]]);
  assert.equal(last(), WasmResult.Ok);
  // é = c3a9, ☃ = e29883, U+1D11E = f09d849e, a lone surrogate = efbfbd (U+FFFD, as TextEncoder), é again
  assert.equal(hex(handed().bytes), "c3a9" + "e29883" + "f09d849e" + "efbfbd" + "c3a9");
});

test("header pairs with non-ASCII values serialise with byte lengths in the size words", async () => {
  const { plugin, handed, last } = await growing();
  const s = plugin.createHttpStream();
  s.callOnRequestHeaders([[":path", "/é"], ["x-a", "☃\ud800é"]]);
  assert.equal(last(), WasmResult.Ok);
  // a lone surrogate followed by é is U+FFFD (3 bytes) then é (2 bytes): the value is 8 bytes
  assert.equal(hex(handed().bytes),
    "02000000" + "05000000" + "03000000" + "03000000" + "08000000" +
    hex(Buffer.from(":path\0/")) + "c3a9" + "00" + hex(Buffer.from("x-a\0")) + "e29883efbfbdc3a9" + "00");
});

test("out-params that straddle or pass the end of memory get InvalidMemoryAccess, even after growth", async () => {
  const { plugin, w, last, setOut } = await growing();
  const s = plugin.createHttpStream();
  s.callOnRequestHeaders(get("/"));
  s.callOnResponseHeaders([[":status", "200"]]);
  // Each call grows memory first (malloc), so the end moves: aim past where it will be.
  const end = () => w.memoryBytes().length;
  setOut(end() + 65536 - 6);                                     // the size word straddles the new end
  s.callOnResponseBody(new Uint8Array(16), false);
  assert.equal(last(), WasmResult.InvalidMemoryAccess);
  setOut(end() - 2);                                             // get_buffer_status allocates nothing
  s.callOnResponseBody(new Uint8Array(5), false);
  assert.equal(last(), WasmResult.InvalidMemoryAccess);
  setOut(-8);                                                    // 0xfffffff8: past 4 GiB with the size word
  s.callOnResponseBody(new Uint8Array(16), false);
  assert.equal(last(), WasmResult.InvalidMemoryAccess);
  setOut(8);
  s.callOnResponseBody(new Uint8Array(5), false);
  assert.equal(last(), WasmResult.Ok, "the VM carries on");
  assert.equal(plugin.failed, false);
});

test("bodies the host rebuilds stay independent: each stream keeps its own replaced body", async () => {
  const { plugin } = await growing();
  const streams = [0, 1, 2].map(() => {
    const s = plugin.createHttpStream();
    s.callOnRequestHeaders(get("/"));
    s.callOnResponseHeaders([[":status", "200"]]);
    return s;
  });
  streams[0].callOnResponseBody(new TextEncoder().encode("aaaaaa"), false);
  streams[1].callOnResponseBody(new TextEncoder().encode("bbbbbb"), false);
  streams[2].callOnResponseBody(new TextEncoder().encode("cccccc"), false);
  assert.deepEqual(streams.map((s) => Buffer.from(s.responseBody).toString()), ["<>aaaaa", "<>bbbbb", "<>ccccc"]);
  // thousands more rebuilt bodies later, the first ones are unchanged
  for (let i = 0; i < 20000; i++) streams[1].callOnResponseBody(new TextEncoder().encode("dddddd"), false);
  assert.equal(Buffer.from(streams[0].responseBody).toString(), "<>aaaaa");
  assert.equal(Buffer.from(streams[2].responseBody).toString(), "<>ccccc");
});

test("upper-case keys from the driver reach the module lower-cased, and read back lower-cased when the module never looked", async () => {
  const { plugin, handed } = await growing();
  const s = plugin.createHttpStream();
  const driverList: [string, string][] = [[":path", "/"], ["X-Up", "V"]];
  s.callOnRequestHeaders(driverList);
  assert.equal(hex(handed().bytes),
    "02000000" + "05000000" + "01000000" + "04000000" + "01000000" + hex(Buffer.from(":path\0/\0x-up\0V\0")));
  s.callOnRequestTrailers([["X-Checksum", "abc"]]);          // the module has no trailers callback
  assert.deepEqual(s.requestTrailers, [["x-checksum", "abc"]]);
  assert.deepEqual(driverList, [[":path", "/"], ["X-Up", "V"]], "the driver's own array is not changed");
});

test("a key read again from the same address with new bytes is the new key (strings are never taken on address alone)", async () => {
  const { plugin, w, handed, last } = await growing();
  const s = plugin.createHttpStream();
  s.callOnRequestHeaders(get("/"));
  s.callOnResponseHeaders([[":status", "200"], ["x-name", "one"], ["x-nbme", "two"]]);
  assert.equal(Buffer.from(handed().bytes).toString(), "one");
  // the module's key "x-name" at 64 becomes "x-nbme": same address, same length
  new Uint8Array((w.vm.instance.exports.memory as WebAssembly.Memory).buffer)[67] = 0x62;
  s.callOnResponseHeaders([[":status", "200"], ["x-name", "one"], ["x-nbme", "two"]]);
  assert.equal(last(), WasmResult.Ok);
  assert.equal(Buffer.from(handed().bytes).toString(), "two");
});
