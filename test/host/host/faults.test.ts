// Faults as Envoy handles them: a trap fails the VM; its streams then follow fail_open (the filter
// is skipped) or fail closed (503 local reply, details wasm_fail_stream); bad pointers get
// InvalidMemoryAccess; allocation failure is reported.
import assert from "node:assert/strict";
import { test } from "node:test";
import { FilterHeadersStatus, FilterStatus, Host, WasmResult } from "../../../envoy-test/host/index.ts";
import { assemble, fixture } from "../../support/wat.ts";
import { get } from "./requests.ts";

const last = (vm: { instance: WebAssembly.Instance }) => (vm.instance.exports.last_result as WebAssembly.Global).value as number;

test("a trap fails the VM and, fail-closed, the stream gets a 503 local reply", async () => {
  const host = new Host();
  const plugin = await host.loadPlugin({ wasm: await fixture("filter.wat"), rootId: "f", failOpen: false });
  const s = plugin.createHttpStream({ worker: 1 });
  assert.equal(s.callOnRequestHeaders(get("/trap")), FilterHeadersStatus.StopAllIterationAndWatermark);
  assert.deepEqual(s.localResponse && { status: s.localResponse.status, details: s.localResponse.details, grpc: s.localResponse.grpcStatus },
    { status: 503, details: "wasm_fail_stream", grpc: 14 });
  assert.equal(plugin.workers[1].failed, true);
  assert.equal(plugin.workers[0].failed, false, "the other worker's VM keeps running");
  assert.match(host.logs("error")[0].message, /^Function: proxy_on_request_headers failed: Uncaught RuntimeError: unreachable/);
});

test("fail-closed: every later stream on the failed worker gets 503 and never reaches the module", async () => {
  const host = new Host();
  const plugin = await host.loadPlugin({ wasm: await fixture("filter.wat"), rootId: "f" });
  plugin.createHttpStream({ worker: 0 }).callOnRequestHeaders(get("/trap"));
  const later = plugin.createHttpStream({ worker: 0 });
  assert.equal(later.contextId, 0, "Envoy's empty fail-closed context has no VM context");
  assert.equal(later.callOnRequestHeaders(get("/fine")), FilterHeadersStatus.StopAllIterationAndWatermark);
  assert.equal(later.localResponse?.status, 503);
  assert.equal(later.requestHeaders.some(([k]) => k === "x-path"), false);
  assert.equal(later.callOnResponseHeaders([[":status", "503"]]), FilterHeadersStatus.Continue, "no second reply on the response path");
  const healthy = plugin.createHttpStream({ worker: 1 });
  assert.equal(healthy.callOnRequestHeaders(get("/fine")), FilterHeadersStatus.Continue);
  assert.equal(healthy.localResponse, null);
});

test("fail-open: the trapping stream continues and later streams pass through untouched", async () => {
  const host = new Host();
  const plugin = await host.loadPlugin({ wasm: await fixture("filter.wat"), rootId: "f", failOpen: true, workers: 1 });
  const s = plugin.createHttpStream();
  assert.equal(s.callOnRequestHeaders(get("/trap")), FilterHeadersStatus.Continue);
  assert.equal(s.localResponse, null);
  const later = plugin.createHttpStream();
  assert.equal(later.callOnRequestHeaders(get("/fine")), FilterHeadersStatus.Continue);
  assert.equal(later.localResponse, null);
  assert.equal(later.requestHeaders.some(([k]) => k === "x-path"), false, "the filter was not in the chain");
  later.complete();
  assert.equal(host.logs("info").some((e) => e.message === "on_log" && e.worker === 0), false);
});

test("a failed VM gets no more ticks", async () => {
  const host = new Host();
  const plugin = await host.loadPlugin({ wasm: await fixture("filter.wat"), rootId: "f", workers: 2 });
  plugin.createHttpStream({ worker: 0 }).callOnRequestHeaders(get("/trap"));
  host.advance(5000);
  assert.equal(host.stats.get("wasmcustom.wat.ticks"), 5, "only worker 1 ticked");
});

test("a pointer past the end of memory gets InvalidMemoryAccess, and the host and VM carry on", async () => {
  const host = new Host();
  const plugin = await host.loadPlugin({ wasm: await fixture("filter.wat"), rootId: "f", workers: 1 });
  const s = plugin.createHttpStream();
  assert.equal(s.callOnRequestHeaders(get("/oob")), FilterHeadersStatus.Continue);
  assert.equal(last(plugin.workers[0].vm), WasmResult.InvalidMemoryAccess);
  assert.equal(plugin.failed, false);
});

test("an allocation failure is reported in the log and the hostcall answers InvalidMemoryAccess", async () => {
  // configuration of 16 MiB + 1 byte: the fixture's malloc returns 0 above 16 MiB
  const host = new Host();
  const big = new Uint8Array(0x1000001).fill(0x61);
  const plugin = await host.loadPlugin({ wasm: await fixture("filter.wat"), rootId: "f", workers: 1, configuration: big });
  assert.equal(last(plugin.workers[0].vm), WasmResult.InvalidMemoryAccess);
  assert.match(host.logs("error")[0].message, /wasm allocation of 16777217 bytes failed \(malloc returned 0\)/);
});

test("a trap during _initialize refuses the plugin with Envoy's message", async () => {
  const host = new Host();
  const wat = `(module (memory (export "memory") 1) (func (export "malloc") (param i32) (result i32) (i32.const 8))
    (func (export "proxy_abi_version_0_2_1")) (func (export "_initialize") unreachable))`;
  await assert.rejects(host.loadPlugin({ wasm: await assemble(wat), rootId: "r" }),
    /Failed to initialize Wasm code \(Function: _initialize failed: Uncaught RuntimeError: unreachable\)/);
});

test("a TCP connection on a failed VM, fail-closed, is closed", async () => {
  const host = new Host();
  const wat = `(module (memory (export "memory") 1) (func (export "malloc") (param i32) (result i32) (i32.const 8))
    (func (export "proxy_abi_version_0_2_1"))
    (func (export "proxy_on_new_connection") (param i32) (result i32) unreachable))`;
  const plugin = await host.loadPlugin({ wasm: await assemble(wat), rootId: "t", workers: 1, kind: "network" });
  const c = plugin.createTcpConnection();
  assert.equal(c.callOnNewConnection(), FilterStatus.StopIteration);
  assert.equal(c.closed, true);
  assert.equal(c.closeDetails, "wasm_fail_stream");
});
