// Hostcall conformance: raw WAT probes (no SDK) calling each hostcall family the way a module from
// any SDK would, asserting the result Envoy (source/extensions/common/wasm/context.cc) and
// proxy-wasm-cpp-host (src/exports.cc, src/context.cc, src/wasm.cc) give. Each probe stores the
// WasmResult codes it got in exported globals r0..r7, so the host's ABI behaviour is pinned
// independently of sdk/. docs/envoy-fidelity.md ("Host") names the source of each expectation.
import assert from "node:assert/strict";
import { test } from "node:test";
import { MODULE_CALLBACKS, registeredImports } from "../../../envoy-test/host/abi.ts";
import {
  FilterDataStatus, FilterHeadersStatus, FilterTrailersStatus, Host, ManualClock, WasmResult as R, checkModule,
  type LocalResponse,
} from "../../../envoy-test/host/index.ts";
import { assemble } from "../../support/wat.ts";
import { get } from "./requests.ts";

interface Probe {
  /** hostcalls the probe calls ("proxy_log", or "module.name" for WASI), declared with the host's own signatures */
  imports: string[];
  /** more module fields: `(data ...)` segments (1024 and up is free, 256..511 is scratch for out-params), globals */
  data?: string;
  /** callback export name -> body; parameters are $a $b $c ... in the callback's order */
  callbacks: Record<string, string>;
  abi?: "0_1_0" | "0_2_0" | "0_2_1";
}

const TYPES: Record<string, string> = { i: "i32", I: "i64" };
const params = (sig: string, names = true) => [...sig].map((c, k) => `(param${names ? ` $${"abcdefghijkl"[k]}` : ""} ${TYPES[c]})`).join(" ");
const result = (sig: string) => (sig ? `(result ${TYPES[sig]})` : "");

/** A module with memory, a bump malloc, result globals r0..r7 and the given callbacks. */
function probeText(p: Probe): string {
  const abi = p.abi ?? "0_2_1";
  const registered = registeredImports(abi);
  const imports = p.imports.map((full) => {
    const [module, name] = full.includes(".") ? full.split(".") : ["env", full];
    const sig = registered.get(module)?.get(name);
    if (!sig) throw new Error(`probe: ${module}.${name} is not a registered hostcall of ABI ${abi}`);
    const [ps, rs] = sig.split(":");
    return `(import "${module}" "${name}" (func $${name} ${params(ps, false)} ${result(rs)}))`;
  });
  const callbacks = { proxy_on_context_create: "", proxy_on_vm_start: "(i32.const 1)", proxy_on_configure: "(i32.const 1)", ...p.callbacks };
  const funcs = Object.entries(callbacks).map(([name, body]) => {
    const [ps, rs] = MODULE_CALLBACKS[name].split(":");
    return `(func (export "${name}") ${params(ps)} ${result(rs)} ${body})`;
  });
  const globals = Array.from({ length: 8 }, (_, k) => `(global $r${k} (export "r${k}") (mut i32) (i32.const -1))`);
  return `(module
  ${imports.join("\n  ")}
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 32768))
  ${globals.join("\n  ")}
  ${p.data ?? ""}
  (func (export "proxy_abi_version_${abi}"))
  (func (export "malloc") (param $n i32) (result i32) (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.and (i32.add (i32.add (local.get $p) (local.get $n)) (i32.const 7)) (i32.const -8)))
    (local.get $p))
  ${funcs.join("\n  ")})`;
}

async function load(p: Probe, host = new Host({ clock: new ManualClock() })) {
  const plugin = await host.loadPlugin({ wasm: await assemble(probeText(p), "probe.wat"), rootId: "probe", workers: 1 });
  const ex = plugin.workers[0].vm.instance.exports as Record<string, WebAssembly.Global>;
  const r = (k: number) => ex[`r${k}`].value as number;
  const memory = () => new Uint8Array((plugin.workers[0].vm.instance.exports.memory as WebAssembly.Memory).buffer);
  const word = (at: number) => new DataView(memory().buffer).getUint32(at, true);
  return { host, plugin, r, memory, word };
}

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);
/** `(call $f args...)` stored into global r<k> */
const set = (k: number, call: string) => `(global.set $r${k} ${call})`;

// --- loading ------------------------------------------------------------------------------------

test("loading: a callback exported with the wrong signature is refused as cpp-host's V8 getModuleFunctionImpl refuses it", async () => {
  const wat = probeText({ imports: [], callbacks: {} }).replace(/\)$/, `
  (func (export "proxy_on_request_headers") (param i32 i32) (result i32) (i32.const 0)))`);
  const bin = await assemble(wat);
  const check = checkModule(bin);
  assert.deepEqual(check.errors, [
    "Bad function signature for: proxy_on_request_headers, want: i32 i32 i32 -> i32, but the module exports: i32 i32 -> i32",
    "Failed to initialize Wasm code",
  ]);
  await assert.rejects(new Host().loadPlugin({ wasm: bin, rootId: "probe" }),
    /plugin "probe": Bad function signature for: proxy_on_request_headers, want: i32 i32 i32 -> i32/);
});

test("loading: ABI 0.1.0 header callbacks take two parameters; the 0.2.x shape is refused there", async () => {
  const ok = await assemble(probeText({ abi: "0_1_0", imports: [], callbacks: {} }).replace(/\)$/, `
  (func (export "proxy_on_request_headers") (param i32 i32) (result i32) (i32.const 0)))`));
  assert.deepEqual(checkModule(ok).errors, []);
  const bad = await assemble(probeText({ abi: "0_1_0", imports: [], callbacks: {} }).replace(/\)$/, `
  (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32) (i32.const 0)))`));
  assert.equal(checkModule(bad).errors[0], "Bad function signature for: proxy_on_response_headers, want: i32 i32 -> i32, but the module exports: i32 i32 i32 -> i32");
});

test("loading: a trap in the root's proxy_on_context_create still loads the plugin (onStart runs on_vm_start anyway); streams get the fail-closed 503", async () => {
  const { plugin, host } = await load({ imports: [], callbacks: {
    proxy_on_context_create: "(if (i32.eqz (local.get $b)) (then unreachable))",
    proxy_on_request_headers: "(i32.const 0)",
  } });
  assert.equal(plugin.failed, true);
  assert.match(host.logs("error")[0].message, /Function: proxy_on_context_create failed: Uncaught RuntimeError: unreachable/);
  const s = plugin.createHttpStream();
  assert.equal(s.callOnRequestHeaders(get("/")), FilterHeadersStatus.StopAllIterationAndWatermark);
  assert.equal(s.localResponse?.status, 503);
  assert.equal(s.localResponse?.details, "wasm_fail_stream");
});

test("loading: a trap inside proxy_on_vm_start refuses the plugin (the V8 wrapper returns 0: Failed to start base Wasm)", async () => {
  await assert.rejects(load({ imports: [], callbacks: { proxy_on_vm_start: "unreachable" } }),
    /Failed to start base Wasm \(Function: proxy_on_vm_start failed: Uncaught RuntimeError: unreachable\)/);
});

test("memory: a VM's linear memory stops at the cap as under cpp-host's V8 (memory.grow past it returns -1)", async () => {
  const host = new Host({ maxMemoryBytes: 4 * 65536 });
  const { r } = await load({ imports: [], callbacks: {
    proxy_on_configure: "(global.set $r0 (memory.grow (i32.const 2))) (global.set $r1 (memory.grow (i32.const 2))) (global.set $r2 (memory.grow (i32.const 1))) (i32.const 1)",
  } }, host);
  assert.deepEqual([r(0), r(1), r(2)], [1, -1, 3], "1 -> 3 pages, 5 refused, 4 (the cap) allowed");
  assert.equal(new Host().maxMemoryPages, 16384, "default: PROXY_WASM_HOST_MAX_WASM_MEMORY_SIZE_BYTES, 1 GiB");
});

test("memory: a module whose memory starts above the cap does not load", async () => {
  const wasm = await assemble(probeText({ imports: [], callbacks: {} }).replace('(memory (export "memory") 1)', '(memory (export "memory") 5)'));
  await assert.rejects(new Host({ maxMemoryBytes: 4 * 65536 }).loadPlugin({ wasm, rootId: "probe" }),
    /plugin "probe": Failed to load Wasm bytecode: initial memory size \(5 pages\) is larger than implementation limit \(4 pages\)/);
});

test("memory: an imported memory is created with the cap as its maximum", async () => {
  const wasm = await assemble(probeText({ imports: [], callbacks: {
    proxy_on_configure: "(global.set $r0 (memory.grow (i32.const 10))) (i32.const 1)",
  } }).replace('(memory (export "memory") 1)', '(import "env" "memory" (memory 1))'));
  const plugin = await new Host({ maxMemoryBytes: 8 * 65536 }).loadPlugin({ wasm, rootId: "probe", workers: 1 });
  assert.equal((plugin.workers[0].vm.instance.exports as Record<string, WebAssembly.Global>).r0.value, -1);
});

// --- logging ------------------------------------------------------------------------------------

test("logging: proxy_log above critical is BadArgument; proxy_get_log_level answers the host level", async () => {
  const { r, word, host } = await load({ imports: ["proxy_log", "proxy_get_log_level"], data: `(data (i32.const 1024) "hello")`, callbacks: {
    proxy_on_configure: `${set(0, "(call $proxy_log (i32.const 6) (i32.const 1024) (i32.const 5))")}
      ${set(1, "(call $proxy_log (i32.const 3) (i32.const 1024) (i32.const 5))")}
      ${set(2, "(call $proxy_get_log_level (i32.const 256))")} (i32.const 1)`,
  } });
  assert.deepEqual([r(0), r(1), r(2)], [R.BadArgument, R.Ok, R.Ok]);
  assert.equal(word(256), 2, "info, the host's default level");
  assert.deepEqual(host.logs("warn").map((e) => e.message), ["hello", "hello"], "canary and worker");
});

// --- header maps ----------------------------------------------------------------------------------

const MAPS: Probe = {
  imports: ["proxy_replace_header_map_value", "proxy_get_header_map_value", "proxy_add_header_map_value", "proxy_get_header_map_size"],
  data: `(global $stop (export "stop") (mut i32) (i32.const 0))
  (data (i32.const 1024) "b") (data (i32.const 1028) "B2") (data (i32.const 1032) "nope") (data (i32.const 1040) "x-log")`,
  callbacks: {
    proxy_on_request_headers: `${set(0, "(call $proxy_replace_header_map_value (i32.const 0) (i32.const 1024) (i32.const 1) (i32.const 1028) (i32.const 2))")}
      ${set(1, "(call $proxy_get_header_map_value (i32.const 0) (i32.const 1032) (i32.const 4) (i32.const 256) (i32.const 260))")}
      ${set(2, "(call $proxy_get_header_map_size (i32.const 9) (i32.const 264))")}
      (if (result i32) (global.get $stop) (then (i32.const 1)) (else (i32.const 0)))`,
    proxy_on_log: `${set(3, "(call $proxy_add_header_map_value (i32.const 0) (i32.const 1040) (i32.const 5) (i32.const 1024) (i32.const 1))")}
      ${set(4, "(call $proxy_get_header_map_value (i32.const 1) (i32.const 1032) (i32.const 4) (i32.const 256) (i32.const 260))")}`,
  },
};

test("header maps: replace moves the header to the end (HeaderMapImpl::setCopy is remove + addCopy); missing key NotFound; bad map type BadArgument", async () => {
  const { plugin, r } = await load(MAPS);
  const s = plugin.createHttpStream();
  s.callOnRequestHeaders([[":path", "/"], ["a", "1"], ["b", "2"], ["c", "3"], ["b", "4"]]);
  assert.deepEqual(s.requestHeaders, [[":path", "/"], ["a", "1"], ["c", "3"], ["b", "B2"]]);
  assert.deepEqual([r(0), r(1), r(2)], [R.Ok, R.NotFound, R.BadArgument]);
});

test("header maps in proxy_on_log: request headers Envoy still holds (stopped, never continued) take edits; continued ones are BadArgument; trailers read NotFound", async () => {
  const { plugin } = await load(MAPS);
  const ex = plugin.workers[0].vm.instance.exports as Record<string, WebAssembly.Global>;
  const continued = plugin.createHttpStream();
  continued.callOnRequestHeaders(get("/"));
  continued.complete();
  assert.deepEqual([ex.r3.value, ex.r4.value], [R.BadArgument, R.NotFound], "Context::getMap: request_headers_ is null once the headers continued");
  ex.stop.value = 1;
  const held = plugin.createHttpStream();
  held.callOnRequestHeaders(get("/"));
  held.complete();
  assert.equal(ex.r3.value, R.Ok, "getMap has no access-log check: the held request headers are writable");
  assert.deepEqual(held.requestHeaders.at(-1), ["x-log", "b"]);
});

test("header pairs: an unavailable map reads as (0, 0); set_header_map_pairs replaces the map, lower-casing keys", async () => {
  const pairs = Buffer.concat([Buffer.from(Uint32Array.of(2, 5, 1, 1, 1).buffer), Buffer.from(":Path\0/\0X\0y\0")]);
  const hex = [...pairs].map((x) => `\\${x.toString(16).padStart(2, "0")}`).join("");
  const { plugin, r, word } = await load({ imports: ["proxy_get_header_map_pairs", "proxy_set_header_map_pairs"], data: `(data (i32.const 1024) "${hex}")`, callbacks: {
    proxy_on_request_headers: `(i32.store (i32.const 256) (i32.const 77)) ${set(0, "(call $proxy_get_header_map_pairs (i32.const 3) (i32.const 256) (i32.const 260))")}
      ${set(1, `(call $proxy_set_header_map_pairs (i32.const 0) (i32.const 1024) (i32.const ${pairs.length}))`)} (i32.const 0)`,
  } });
  const s = plugin.createHttpStream();
  s.callOnRequestHeaders([[":path", "/old"], ["a", "b"]]);
  assert.deepEqual([r(0), word(256), word(260)], [R.Ok, 0, 0], "response trailers are not available in request headers: (0, 0)");
  assert.equal(r(1), R.Ok);
  assert.deepEqual(s.requestHeaders, [[":path", "/"], ["x", "y"]]);
});

test("WASI: fd_write to stdout is an info log line without its newline; another fd is EBADF", async () => {
  const { r, host } = await load({ imports: ["wasi_snapshot_preview1.fd_write"], data: `(data (i32.const 1024) "hi from wasi\\0a")`, callbacks: {
    proxy_on_configure: `(i32.store (i32.const 256) (i32.const 1024)) (i32.store (i32.const 260) (i32.const 13))
      ${set(0, "(call $fd_write (i32.const 1) (i32.const 256) (i32.const 1) (i32.const 264))")}
      ${set(1, "(call $fd_write (i32.const 7) (i32.const 256) (i32.const 1) (i32.const 264))")} (i32.const 1)`,
  } });
  assert.deepEqual([r(0), r(1)], [0, 8], "0 = success, 8 = EBADF");
  assert.deepEqual(host.logs("info").map((e) => e.message), ["hi from wasi", "hi from wasi"], "canary and worker");
});

// --- buffers ------------------------------------------------------------------------------------

test("buffers: set_buffer_bytes inside the body is BadArgument, get clamps an overread, plugin configuration is NotFound outside on_configure", async () => {
  const { plugin, r, word } = await load({ imports: ["proxy_set_buffer_bytes", "proxy_get_buffer_bytes", "proxy_get_buffer_status"], data: `(data (i32.const 1024) "xy")`, callbacks: {
    proxy_on_request_headers: "(i32.const 0)",
    proxy_on_request_body: `${set(0, "(call $proxy_set_buffer_bytes (i32.const 0) (i32.const 1) (i32.const 1) (i32.const 1024) (i32.const 2))")}
      ${set(1, "(call $proxy_get_buffer_bytes (i32.const 0) (i32.const 2) (i32.const 100) (i32.const 256) (i32.const 260))")}
      ${set(2, "(call $proxy_get_buffer_status (i32.const 7) (i32.const 264) (i32.const 268))")}
      ${set(3, "(call $proxy_get_buffer_bytes (i32.const 9) (i32.const 0) (i32.const 1) (i32.const 256) (i32.const 272))")}
      (i32.const 0)`,
  } });
  const s = plugin.createHttpStream();
  s.callOnRequestHeaders(get("/"));
  s.callOnRequestBody(bytes("abcd"), true);
  assert.deepEqual([r(0), r(1), r(2), r(3)], [R.BadArgument, R.Ok, R.NotFound, R.BadArgument]);
  assert.equal(word(260), 2, "start 2 of a 4-byte body: 2 bytes, not 100");
});

// --- StopIteration: what Envoy's filter manager holds ------------------------------------------

const HOLD: Probe = {
  imports: ["proxy_set_effective_context", "proxy_continue_stream"],
  callbacks: {
    proxy_on_request_headers: "(global.set $r0 (local.get $a)) (global.get $r7)",
    proxy_on_request_body: "(global.set $r1 (i32.add (global.get $r1) (i32.const 1))) (global.set $r2 (local.get $b)) (global.set $r3 (local.get $c)) (i32.const 0)",
    proxy_on_request_trailers: "(global.set $r4 (local.get $b)) (i32.const 0)",
    proxy_on_response_headers: "(global.get $r6)",
    proxy_on_response_body: "(global.set $r1 (i32.add (global.get $r1) (i32.const 1))) (global.set $r2 (local.get $b)) (global.set $r3 (local.get $c)) (i32.const 0)",
    proxy_on_response_trailers: "(global.set $r4 (local.get $b)) (i32.const 0)",
    // continues the stream type stored at 500 (0 request, 1 response)
    proxy_on_tick: `(drop (call $proxy_set_effective_context (global.get $r0)))
      (global.set $r5 (call $proxy_continue_stream (i32.load (i32.const 500))))`,
  },
};

async function holdProbe(status: number, bufferLimit?: number) {
  const p = await load(HOLD);
  const ex = p.plugin.workers[0].vm.instance.exports as Record<string, WebAssembly.Global>;
  ex.r1.value = 0;
  ex.r7.value = status;
  return { ...p, s: p.plugin.createHttpStream(bufferLimit === undefined ? {} : { bufferLimit }) };
}

test("StopIteration from request headers holds the body and trailers; the filter gets them when it continues", async () => {
  const { s, r, plugin } = await holdProbe(FilterHeadersStatus.StopIteration);
  assert.equal(s.callOnRequestHeaders([[":method", "POST"], [":path", "/"]]), FilterHeadersStatus.StopAllIterationAndWatermark);
  assert.equal(s.callOnRequestBody(bytes("ab"), false), FilterDataStatus.StopIterationAndWatermark);
  assert.equal(s.callOnRequestBody(bytes("cd"), false), FilterDataStatus.StopIterationAndWatermark);
  assert.equal(s.callOnRequestTrailers([["grpc-status", "0"]]), FilterTrailersStatus.StopIteration);
  assert.equal(r(1), 0, "proxy_on_request_body is not called while the headers are stopped");
  assert.equal(text(s.requestHeld!.body), "abcd");
  assert.deepEqual(s.requestHeld!.trailers, [["grpc-status", "0"]]);
  assert.equal(s.requestHeld!.mode, "watermark");
  plugin.tick();
  assert.equal(r(5), R.Ok);
  assert.deepEqual([r(1), r(2), r(3)], [1, 4, 0], "one body call with the 4 held bytes, end_of_stream false (trailers follow)");
  assert.equal(r(4), 1, "then the trailers");
  assert.equal(s.requestHeld, null);
  assert.equal(text(s.requestBody), "abcd");
});

test("StopIteration from response headers holds the response body and trailers until the filter continues the response", async () => {
  const p = await load(HOLD);
  const ex = p.plugin.workers[0].vm.instance.exports as Record<string, WebAssembly.Global>;
  ex.r1.value = 0; ex.r7.value = 0; ex.r6.value = FilterHeadersStatus.StopIteration;
  new DataView(p.memory().buffer).setUint32(500, 1, true);
  const s = p.plugin.createHttpStream();
  s.callOnRequestHeaders(get("/"));
  assert.equal(s.callOnResponseHeaders([[":status", "200"]]), FilterHeadersStatus.StopAllIterationAndWatermark);
  s.callOnResponseBody(bytes("xyz"), false);
  s.callOnResponseTrailers([["x-t", "1"]]);
  assert.equal(p.r(1), 0);
  assert.equal(text(s.responseHeld!.body), "xyz");
  p.plugin.tick();
  assert.deepEqual([p.r(5), p.r(1), p.r(2), p.r(3), p.r(4)], [R.Ok, 1, 3, 0, 1]);
  assert.equal(s.responseHeld, null);
  assert.equal(s.callOnResponseBody(bytes("!"), true), FilterDataStatus.Continue, "after the continue, chunks reach the filter again");
  assert.equal(p.r(1), 2);
});

test("a continue made inside the stopping call cancels the hold", async () => {
  const { plugin } = await load({ imports: ["proxy_continue_stream"], callbacks: {
    proxy_on_request_headers: "(drop (call $proxy_continue_stream (i32.const 0))) (i32.const 1)",
    proxy_on_request_body: "(global.set $r1 (local.get $b)) (i32.const 0)",
  } });
  const s = plugin.createHttpStream();
  s.callOnRequestHeaders([[":method", "POST"], [":path", "/"]]);
  assert.equal(s.requestHeld, null);
  assert.equal(s.callOnRequestBody(bytes("ab"), true), FilterDataStatus.Continue);
  assert.deepEqual(s.continued, [0]);
});

test("with allow_on_headers_stop_iteration, StopIteration stays StopIteration and the body still reaches the filter", async () => {
  const host = new Host();
  const plugin = await host.loadPlugin({ wasm: await assemble(probeText(HOLD)), rootId: "probe", workers: 1, allowOnHeadersStopIteration: true });
  const ex = plugin.workers[0].vm.instance.exports as Record<string, WebAssembly.Global>;
  ex.r1.value = 0; ex.r7.value = FilterHeadersStatus.StopIteration;
  const s = plugin.createHttpStream();
  assert.equal(s.callOnRequestHeaders([[":method", "POST"], [":path", "/"]]), FilterHeadersStatus.StopIteration);
  assert.equal(s.requestHeld, null);
  s.callOnRequestBody(bytes("ab"), true);
  assert.deepEqual([ex.r1.value, ex.r2.value], [1, 2]);
});

test("StopAllIterationAndBuffer from request headers: held body over the buffer limit gets Envoy's 413", async () => {
  const { s, r } = await holdProbe(FilterHeadersStatus.StopAllIterationAndBuffer, 8);
  s.callOnRequestHeaders([[":method", "POST"], [":path", "/"]]);
  s.callOnRequestBody(bytes("12345678"), false);
  assert.equal(s.localResponse, null, "8 bytes is at the limit, not over it");
  s.callOnRequestBody(bytes("9"), true);
  const reply = s.localResponse as LocalResponse | null;
  assert.equal(reply?.status, 413);
  assert.equal(reply?.details, "request_payload_too_large");
  assert.equal(text(reply!.body), "Payload Too Large");
  assert.equal(s.callOnRequestBody(bytes("more"), true), FilterDataStatus.StopIterationNoBuffer, "later data is dropped");
  assert.equal(r(1), 0, "the filter never saw the body");
});

test("StopIteration (watermark) over the buffer limit is flow control, not an error", async () => {
  const { s } = await holdProbe(FilterHeadersStatus.StopIteration, 8);
  s.callOnRequestHeaders([[":method", "POST"], [":path", "/"]]);
  s.callOnRequestBody(bytes("123456789"), false);
  assert.equal(s.localResponse, null);
  assert.equal(s.requestHeld!.aboveHighWatermark, true);
});

test("response: StopAllIterationAndBuffer headers, then too much body: 500 (responseDataTooLarge)", async () => {
  const p = await load(HOLD);
  const ex = p.plugin.workers[0].vm.instance.exports as Record<string, WebAssembly.Global>;
  ex.r7.value = 0; ex.r6.value = FilterHeadersStatus.StopAllIterationAndBuffer;
  const s = p.plugin.createHttpStream({ bufferLimit: 4 });
  s.callOnRequestHeaders(get("/"));
  s.callOnResponseHeaders([[":status", "200"]]);
  assert.equal(s.callOnResponseBody(bytes("12345"), true), FilterDataStatus.StopIterationAndBuffer);
  assert.equal(s.localResponse?.status, 500);
  assert.equal(s.localResponse?.details, "response_payload_too_large");
});

test("a body StopIterationAndBuffer over the limit after the response headers went downstream resets the stream", async () => {
  const { plugin } = await load({ imports: [], callbacks: { proxy_on_request_headers: "(i32.const 0)", proxy_on_response_headers: "(i32.const 0)", proxy_on_response_body: "(i32.const 1)" } });
  const s = plugin.createHttpStream({ bufferLimit: 4 });
  s.callOnRequestHeaders(get("/"));
  s.callOnResponseHeaders([[":status", "200"]]);
  s.callOnResponseBody(bytes("123"), false);
  assert.equal(s.closed, false);
  s.callOnResponseBody(bytes("45"), false);
  assert.equal(s.closed, true);
  assert.equal(s.localResponse, null);
  assert.equal(s.responseCodeDetails, "response_payload_too_large");
});

// --- properties ---------------------------------------------------------------------------------

test("properties: an empty path is SerializationFailure, an unknown one NotFound, set_property without a stream NotFound", async () => {
  const { r, word, memory } = await load({ imports: ["proxy_get_property", "proxy_set_property"], data: `(data (i32.const 1024) "plugin_root_id") (data (i32.const 1040) "nope")`, callbacks: {
    proxy_on_configure: `${set(0, "(call $proxy_get_property (i32.const 1024) (i32.const 0) (i32.const 256) (i32.const 260))")}
      ${set(1, "(call $proxy_get_property (i32.const 1040) (i32.const 4) (i32.const 256) (i32.const 260))")}
      ${set(2, "(call $proxy_get_property (i32.const 1024) (i32.const 14) (i32.const 256) (i32.const 260))")}
      ${set(3, "(call $proxy_set_property (i32.const 1040) (i32.const 4) (i32.const 1024) (i32.const 1))")} (i32.const 1)`,
  } });
  assert.deepEqual([r(0), r(1), r(2), r(3)], [R.SerializationFailure, R.NotFound, R.Ok, R.NotFound]);
  assert.equal(text(memory().slice(word(256), word(256) + word(260))), "probe");
});

// --- metrics ------------------------------------------------------------------------------------

test("metrics: one name as a counter and a gauge is two stats (Envoy's store keeps the types apart); counter +0 BadArgument; histogram get BadArgument", async () => {
  const { r, word, host } = await load({ imports: ["proxy_define_metric", "proxy_increment_metric", "proxy_get_metric"], data: `(data (i32.const 1024) "probe.m")`, callbacks: {
    proxy_on_configure: `${set(0, "(call $proxy_define_metric (i32.const 0) (i32.const 1024) (i32.const 7) (i32.const 256))")}
      ${set(1, "(call $proxy_define_metric (i32.const 1) (i32.const 1024) (i32.const 7) (i32.const 260))")}
      (drop (call $proxy_increment_metric (i32.load (i32.const 256)) (i64.const 2)))
      (drop (call $proxy_increment_metric (i32.load (i32.const 260)) (i64.const -5)))
      ${set(2, "(call $proxy_increment_metric (i32.load (i32.const 256)) (i64.const 0))")}
      ${set(3, "(call $proxy_define_metric (i32.const 2) (i32.const 1024) (i32.const 7) (i32.const 264))")}
      ${set(4, "(call $proxy_get_metric (i32.load (i32.const 264)) (i32.const 272))")}
      ${set(5, "(call $proxy_define_metric (i32.const 3) (i32.const 1024) (i32.const 7) (i32.const 268))")} (i32.const 1)`,
  } });
  assert.deepEqual([r(0), r(1), r(2), r(3), r(4), r(5)], [R.Ok, R.Ok, R.BadArgument, R.Ok, R.BadArgument, R.BadArgument]);
  assert.equal(word(256) & 3, 0); assert.equal(word(260) & 3, 1); assert.equal(word(264) & 3, 2);
  const stats = host.stats.all().filter((s) => s.name === "wasmcustom.probe.m");
  assert.deepEqual(stats.map((s) => [s.type, s.value]), [["counter", 4], ["gauge", -10], ["histogram", 0]], "canary and worker share each stat");
});

// --- shared data and queues ---------------------------------------------------------------------

test("shared data: cas 0 writes, a stale cas is CasMismatch, a missing key NotFound", async () => {
  const { r } = await load({ imports: ["proxy_set_shared_data", "proxy_get_shared_data"], data: `(data (i32.const 1024) "k") (data (i32.const 1028) "v") (data (i32.const 1032) "missing")`, callbacks: {
    proxy_on_configure: `${set(0, "(call $proxy_set_shared_data (i32.const 1024) (i32.const 1) (i32.const 1028) (i32.const 1) (i32.const 0))")}
      ${set(1, "(call $proxy_get_shared_data (i32.const 1024) (i32.const 1) (i32.const 256) (i32.const 260) (i32.const 264))")}
      ${set(2, "(call $proxy_set_shared_data (i32.const 1024) (i32.const 1) (i32.const 1028) (i32.const 1) (i32.add (i32.load (i32.const 264)) (i32.const 1000)))")}
      ${set(3, "(call $proxy_get_shared_data (i32.const 1032) (i32.const 7) (i32.const 256) (i32.const 260) (i32.const 264))")} (i32.const 1)`,
  } });
  assert.deepEqual([r(0), r(1), r(2), r(3)], [R.Ok, R.Ok, R.CasMismatch, R.NotFound]);
});

test("queues: resolve of an unknown queue NotFound; enqueue then dequeue; an empty queue is Empty", async () => {
  const { r, word } = await load({ imports: ["proxy_register_shared_queue", "proxy_resolve_shared_queue", "proxy_enqueue_shared_queue", "proxy_dequeue_shared_queue"],
    data: `(data (i32.const 1024) "q") (data (i32.const 1028) "other") (data (i32.const 1040) "msg")`, callbacks: {
      proxy_on_configure: `${set(0, "(call $proxy_register_shared_queue (i32.const 1024) (i32.const 1) (i32.const 256))")}
      ${set(1, "(call $proxy_resolve_shared_queue (i32.const 0) (i32.const 0) (i32.const 1028) (i32.const 5) (i32.const 260))")}
      ${set(2, "(call $proxy_enqueue_shared_queue (i32.load (i32.const 256)) (i32.const 1040) (i32.const 3))")}
      ${set(3, "(call $proxy_dequeue_shared_queue (i32.load (i32.const 256)) (i32.const 264) (i32.const 268))")}
      ${set(4, "(call $proxy_dequeue_shared_queue (i32.load (i32.const 256)) (i32.const 264) (i32.const 272))")} (i32.const 1)`,
    } });
  assert.deepEqual([r(0), r(1), r(2), r(3), r(4)], [R.Ok, R.NotFound, R.Ok, R.Ok, R.Empty]);
  assert.equal(word(268), 3);
});

// --- timers and time ----------------------------------------------------------------------------

test("timers and time: the tick fires one period later; the current time is the host clock's", async () => {
  const clock = new ManualClock(0, Date.UTC(2026, 0, 1));
  const host = new Host({ clock });
  const { r, memory } = await load({ imports: ["proxy_set_tick_period_milliseconds", "proxy_get_current_time_nanoseconds"], callbacks: {
    proxy_on_configure: `${set(0, "(call $proxy_set_tick_period_milliseconds (i32.const 100))")} (global.set $r1 (i32.const 0)) (i32.const 1)`,
    proxy_on_tick: `(global.set $r1 (i32.add (global.get $r1) (i32.const 1))) ${set(2, "(call $proxy_get_current_time_nanoseconds (i32.const 256))")}`,
  } }, host);
  host.advance(99);
  assert.equal(r(1), 0);
  host.advance(1);
  assert.deepEqual([r(0), r(1), r(2)], [R.Ok, 1, R.Ok]);
  assert.equal(new DataView(memory().buffer).getBigUint64(256, true), BigInt(Date.UTC(2026, 0, 1) + 100) * 1_000_000n);
});

// --- callouts -----------------------------------------------------------------------------------

test("callouts: http_call without :path or to an unknown cluster is BadArgument; grpc_call to an unknown cluster ParseFailure", async () => {
  const host = new Host({ clusters: ["known"] });
  const pairs = (list: [string, string][]) => {
    const b = Buffer.concat([Buffer.from(Uint32Array.of(list.length, ...list.flatMap(([k, v]) => [k.length, v.length])).buffer),
      ...list.map(([k, v]) => Buffer.from(`${k}\0${v}\0`))]);
    return [...b].map((x) => `\\${x.toString(16).padStart(2, "0")}`).join("");
  };
  const full = pairs([[":method", "GET"], [":path", "/"], [":authority", "a"]]);
  const noPath = pairs([[":method", "GET"], [":authority", "a"]]);
  const { r } = await load({ imports: ["proxy_http_call", "proxy_grpc_call"],
    data: `(data (i32.const 1024) "known") (data (i32.const 1032) "unknown") (data (i32.const 2048) "${full}") (data (i32.const 3072) "${noPath}") (data (i32.const 1048) "svc")`,
    callbacks: {
      proxy_on_configure: `${set(0, `(call $proxy_http_call (i32.const 1024) (i32.const 5) (i32.const 3072) (i32.const ${noPath.length / 3}) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 1000) (i32.const 256))`)}
      ${set(1, `(call $proxy_http_call (i32.const 1032) (i32.const 7) (i32.const 2048) (i32.const ${full.length / 3}) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 1000) (i32.const 256))`)}
      ${set(2, `(call $proxy_http_call (i32.const 1024) (i32.const 5) (i32.const 2048) (i32.const ${full.length / 3}) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 1000) (i32.const 256))`)}
      ${set(3, "(call $proxy_grpc_call (i32.const 1032) (i32.const 7) (i32.const 1048) (i32.const 3) (i32.const 1048) (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 1000) (i32.const 260))")}
      (i32.const 1)`,
    } }, host);
  assert.deepEqual([r(0), r(1), r(2), r(3)], [R.BadArgument, R.BadArgument, R.Ok, R.ParseFailure]);
});

// --- stream control, effective context, foreign functions, proxy_done -----------------------------

test("stream control: continue_stream(Upstream) Unimplemented, out-of-range types BadArgument; effective context of an unknown id BadArgument; unknown foreign function NotFound; proxy_done without a pending done NotFound", async () => {
  const { r, plugin } = await load({ imports: ["proxy_continue_stream", "proxy_close_stream", "proxy_set_effective_context", "proxy_call_foreign_function", "proxy_done"],
    data: `(data (i32.const 1024) "nope")`, callbacks: {
      proxy_on_request_headers: `${set(0, "(call $proxy_continue_stream (i32.const 3))")}
      ${set(1, "(call $proxy_continue_stream (i32.const 9))")}
      ${set(2, "(call $proxy_close_stream (i32.const 9))")}
      ${set(3, "(call $proxy_set_effective_context (i32.const 999))")}
      ${set(4, "(call $proxy_call_foreign_function (i32.const 1024) (i32.const 4) (i32.const 0) (i32.const 0) (i32.const 256) (i32.const 260))")}
      ${set(5, "(call $proxy_done)")} (i32.const 0)`,
    } });
  plugin.createHttpStream().callOnRequestHeaders(get("/"));
  assert.deepEqual([r(0), r(1), r(2), r(3), r(4), r(5)], [R.Unimplemented, R.BadArgument, R.BadArgument, R.BadArgument, R.NotFound, R.NotFound]);
});
