// Envoy's rules for metrics, root shutdown with proxy_done, gRPC streams and queue results, driven
// through small hand-written modules.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Host, MetricType, WasmResult } from "../../../envoy-test/host/index.ts";
import { calloutsOf } from "../../../envoy-test/host/callouts.ts";
import { assemble } from "../../support/wat.ts";

const MALLOC = `(memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 8192))
  (func (export "malloc") (param $n i32) (result i32) (local $p i32)
    (local.set $p (global.get $heap)) (global.set $heap (i32.add (local.get $p) (local.get $n))) (local.get $p))
  (func (export "proxy_abi_version_0_2_1"))`;

// Exports thin wrappers the test calls directly: def(type) defines metric "m" (name at 1024),
// inc/rec/get return the hostcall's result; ids land at 16, values at 24.
const METRICS = `(module
  (import "env" "proxy_define_metric" (func $define (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_increment_metric" (func $inc (param i32 i64) (result i32)))
  (import "env" "proxy_record_metric" (func $rec (param i32 i64) (result i32)))
  (import "env" "proxy_get_metric" (func $get (param i32 i32) (result i32)))
  ${MALLOC}
  (data (i32.const 1024) "mcgh")
  (func (export "def") (param $t i32) (param $name i32) (result i32)
    (drop (call $define (local.get $t) (i32.add (i32.const 1024) (local.get $name)) (i32.const 1) (i32.const 16)))
    (i32.load (i32.const 16)))
  (func (export "inc") (param $id i32) (param $v i64) (result i32) (call $inc (local.get $id) (local.get $v)))
  (func (export "rec") (param $id i32) (param $v i64) (result i32) (call $rec (local.get $id) (local.get $v)))
  (func (export "get") (param $id i32) (result i32) (call $get (local.get $id) (i32.const 24)))
  (func (export "value") (result i64) (i64.load (i32.const 24))))`;

type MetricsExports = {
  def(t: number, name: number): number; inc(id: number, v: bigint): number; rec(id: number, v: bigint): number;
  get(id: number): number; value(): bigint;
};

async function metrics() {
  const host = new Host();
  const plugin = await host.loadPlugin({ wasm: await assemble(METRICS), rootId: "m", workers: 2 });
  const w = plugin.workers.map((x) => x.vm.instance.exports as unknown as MetricsExports);
  return { host, w };
}

test("metric ids carry their type in the low two bits, per VM: counter 4, gauge 5, histogram 6", async () => {
  const { w } = await metrics();
  assert.deepEqual([w[0].def(MetricType.Counter, 1), w[0].def(MetricType.Gauge, 2), w[0].def(MetricType.Histogram, 3)], [4, 5, 6]);
  assert.equal(w[0].def(MetricType.Counter, 0), 8);
  assert.equal(w[1].def(MetricType.Counter, 1), 4, "the other worker VM counts its own ids");
});

test("a counter only goes up: increments need a positive offset, record adds, both workers share it", async () => {
  const { host, w } = await metrics();
  const c0 = w[0].def(MetricType.Counter, 1), c1 = w[1].def(MetricType.Counter, 1);
  assert.equal(w[0].inc(c0, 0n), WasmResult.BadArgument);
  assert.equal(w[0].inc(c0, -1n), WasmResult.BadArgument);
  assert.equal(w[0].inc(c0, 5n), WasmResult.Ok);
  assert.equal(w[1].inc(c1, 2n), WasmResult.Ok);
  assert.equal(w[1].rec(c1, 3n), WasmResult.Ok);
  assert.equal(host.stats.get("wasmcustom.c"), 10);
  assert.equal(w[0].get(c0), WasmResult.Ok);
  assert.equal(w[0].value(), 10n, "proxy_get_metric reads the process-wide value");
});

test("a gauge adds and subtracts on increment and is set by record", async () => {
  const { host, w } = await metrics();
  const g0 = w[0].def(MetricType.Gauge, 2), g1 = w[1].def(MetricType.Gauge, 2);
  w[0].inc(g0, 5n);
  w[1].inc(g1, -2n);
  assert.equal(host.stats.get("wasmcustom.g"), 3);
  w[1].rec(g1, 10n);
  assert.equal(host.stats.get("wasmcustom.g"), 10);
});

test("a histogram records values but cannot be incremented or read back", async () => {
  const { host, w } = await metrics();
  const h = w[0].def(MetricType.Histogram, 3);
  assert.equal(w[0].rec(h, 12n), WasmResult.Ok);
  assert.equal(w[0].inc(h, 1n), WasmResult.BadArgument);
  assert.equal(w[0].get(h), WasmResult.BadArgument);
  assert.deepEqual(host.stats.histogram("wasmcustom.h").values, [12]);
});

test("an id never defined is NotFound, and an out-of-range type is BadArgument", async () => {
  const { w } = await metrics();
  assert.equal(w[0].get(40), WasmResult.NotFound);
  assert.equal(w[0].inc(41, 1n), WasmResult.NotFound);
  assert.equal(w[0].rec(42, 1n), WasmResult.NotFound);
  assert.equal(w[0].get(43), WasmResult.BadArgument);
});

const SHUTDOWN = `(module
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (import "env" "proxy_done" (func $done (result i32)))
  ${MALLOC}
  (global $last (export "last_result") (mut i32) (i32.const -1))
  (data (i32.const 1024) "donedelete")
  (func (export "proxy_on_done") (param i32) (result i32) (drop (call $log (i32.const 2) (i32.const 1024) (i32.const 4))) (i32.const 0))
  (func (export "proxy_on_tick") (param i32) (global.set $last (call $done)))
  (func (export "proxy_on_delete") (param i32) (drop (call $log (i32.const 2) (i32.const 1028) (i32.const 6)))))`;

test("a root context whose on_done returns false is deleted only after it calls proxy_done", async () => {
  const host = new Host();
  const plugin = await host.loadPlugin({ wasm: await assemble(SHUTDOWN), rootId: "s", workers: 1 });
  const last = () => (plugin.workers[0].vm.instance.exports.last_result as WebAssembly.Global).value;
  plugin.tick();
  assert.equal(last(), WasmResult.NotFound, "proxy_done before shutdown started");
  plugin.shutdown();
  assert.deepEqual(host.logs().filter((e) => e.worker === 0).map((e) => e.message), ["done"]);
  plugin.tick();
  assert.equal(last(), WasmResult.Ok);
  assert.deepEqual(host.logs().filter((e) => e.worker === 0).map((e) => e.message), ["done", "delete"]);
  assert.deepEqual(plugin.workers[0].contextIds, []);
});

const GRPC_STREAM = `(module
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (import "env" "proxy_grpc_stream" (func $stream (param i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_grpc_send" (func $send (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_grpc_close" (func $close (param i32) (result i32)))
  (import "env" "proxy_get_header_map_value" (func $get_header (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_buffer_bytes" (func $get_buffer (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_dequeue_shared_queue" (func $dequeue (param i32 i32 i32) (result i32)))
  (import "env" "proxy_register_shared_queue" (func $register (param i32 i32 i32) (result i32)))
  ${MALLOC}
  (global $last (export "last_result") (mut i32) (i32.const -1))
  (global $token (mut i32) (i32.const 0))
  (data (i32.const 1024) "xdsenvoy.Discovery\\00\\00\\00\\00Watchhellox-mdclosedq")
  (func $log_at (param $r i32) (if (i32.eqz (local.get $r)) (then (drop (call $log (i32.const 2) (i32.load (i32.const 16)) (i32.load (i32.const 20)))))))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32)
    (drop (call $register (i32.const 1066) (i32.const 1) (i32.const 28)))
    ;; an empty queue answers Empty (7), an unknown token NotFound (1): keep both in memory at 32, 36
    (i32.store (i32.const 32) (call $dequeue (i32.load (i32.const 28)) (i32.const 16) (i32.const 20)))
    (i32.store (i32.const 36) (call $dequeue (i32.const 9999) (i32.const 16) (i32.const 20)))
    (i32.const 1))
  (func (export "queue_results") (result i64) (i64.load (i32.const 32)))
  (func (export "proxy_on_tick") (param i32)
    (drop (call $stream (i32.const 1024) (i32.const 3) (i32.const 1027) (i32.const 15) (i32.const 1046) (i32.const 5)
      (i32.const 1042) (i32.const 4) (i32.const 12)))
    (global.set $token (i32.load (i32.const 12)))
    (global.set $last (call $send (global.get $token) (i32.const 1051) (i32.const 5) (i32.const 0))))
  (func (export "proxy_on_grpc_receive_initial_metadata") (param i32 i32 i32)
    (call $log_at (call $get_header (i32.const 4) (i32.const 1056) (i32.const 4) (i32.const 16) (i32.const 20))))
  (func (export "proxy_on_grpc_receive") (param i32 i32) (param $size i32)
    (call $log_at (call $get_buffer (i32.const 5) (i32.const 0) (local.get $size) (i32.const 16) (i32.const 20))))
  (func (export "proxy_on_grpc_close") (param i32 i32 i32)
    (drop (call $log (i32.const 2) (i32.const 1060) (i32.const 6)))
    (global.set $last (call $close (global.get $token)))))`;

test("a gRPC stream carries the module's messages out and metadata, messages and close in", async () => {
  const host = new Host();
  const plugin = await host.loadPlugin({ wasm: await assemble(GRPC_STREAM), rootId: "g", workers: 1 });
  const last = () => (plugin.workers[0].vm.instance.exports.last_result as WebAssembly.Global).value;
  plugin.tick();
  assert.equal(last(), WasmResult.Ok);
  const [s] = host.pendingCallouts();
  assert.deepEqual([s.kind, s.cluster, s.service, s.method, s.token], ["grpc-stream", "xds", "envoy.Discovery", "Watch", 6]);
  assert.deepEqual(s.sent.map((m) => [Buffer.from(m.message).toString(), m.endStream]), [["hello", false]]);
  s.receiveInitialMetadata([["x-md", "v1"]]);
  s.receive("update-1");
  s.receive("update-2");
  s.close(0);
  assert.deepEqual(host.logs("info").map((e) => e.message), ["v1", "update-1", "update-2", "closed"]);
  assert.equal(last(), WasmResult.Ok, "proxy_grpc_close inside on_grpc_close still finds the stream");
  assert.equal(host.pendingCallouts().length, 0);
  assert.equal(calloutsOf(plugin.workers[0].vm).size, 0, "both sides closed: the stream is forgotten");
});

test("dequeue answers Empty for an empty queue and NotFound for an unknown token", async () => {
  const host = new Host();
  const plugin = await host.loadPlugin({ wasm: await assemble(GRPC_STREAM), rootId: "g", workers: 1 });
  const r = (plugin.workers[0].vm.instance.exports.queue_results as () => bigint)();
  assert.deepEqual([Number(r & 0xffffffffn), Number(r >> 32n)], [WasmResult.Empty, WasmResult.NotFound]);
});
