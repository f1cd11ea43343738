// Loading a module the way proxy-wasm-cpp-host does: ABI marker, allocator, import table, start
// order, canary, and the refusals with Envoy's messages.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Host, PluginLoadError, checkModule, parseModule } from "../../../envoy-test/host/index.ts";
import { assemble, fixture } from "../../support/wat.ts";
import { get } from "./requests.ts";

const MALLOC = `(memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (func (export "malloc") (param $n i32) (result i32) (local $p i32)
    (local.set $p (global.get $heap)) (global.set $heap (i32.add (local.get $p) (local.get $n))) (local.get $p))`;

async function refusal(wat: string): Promise<PluginLoadError> {
  const host = new Host();
  const err = await host.loadPlugin({ wasm: await assemble(wat), rootId: "r" }).then(
    () => assert.fail("the module was accepted"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof PluginLoadError, `expected a PluginLoadError, got ${err}`);
  return err;
}

test("a module without an ABI marker export is refused with Envoy's message", async () => {
  const err = await refusal(`(module ${MALLOC})`);
  assert.match(err.message, /Missing or unknown Proxy-Wasm ABI version/);
});

test("an unknown ABI marker (0_3_0) is refused like a missing one", async () => {
  const err = await refusal(`(module ${MALLOC} (func (export "proxy_abi_version_0_3_0")))`);
  assert.match(err.message, /Missing or unknown Proxy-Wasm ABI version/);
});

test("a module without malloc or proxy_on_memory_allocate is refused", async () => {
  const err = await refusal(`(module (memory (export "memory") 1) (func (export "proxy_abi_version_0_2_1")))`);
  assert.match(err.message, /Wasm module is missing malloc function\./);
});

test("AssemblyScript's default env.abort import is refused as a missing import", async () => {
  const err = await refusal(`(module
    (import "env" "abort" (func (param i32 i32 i32 i32)))
    ${MALLOC} (func (export "proxy_abi_version_0_2_1")))`);
  assert.match(err.message, /Failed to load Wasm module due to a missing import: env\.abort/);
});

test("an import with the wrong signature is refused, naming what the module wants and what the host has", async () => {
  const err = await refusal(`(module
    (import "env" "proxy_log" (func (param i32 i32) (result i32)))
    ${MALLOC} (func (export "proxy_abi_version_0_2_1")))`);
  assert.equal(err.message, `plugin "r": Failed to load Wasm module due to an import type mismatch: env.proxy_log, want: i32 i32 -> i32, but host exports: i32 i32 i32 -> i32`);
});

test("proxy_get_log_level exists for ABI 0_2_1 only: a 0_2_0 module importing it is refused", async () => {
  const imp = `(import "env" "proxy_get_log_level" (func (param i32) (result i32)))`;
  const err = await refusal(`(module ${imp} ${MALLOC} (func (export "proxy_abi_version_0_2_0")))`);
  assert.match(err.message, /missing import: env\.proxy_get_log_level/);
  const ok = checkModule(await assemble(`(module ${imp} ${MALLOC} (func (export "proxy_abi_version_0_2_1")))`));
  assert.deepEqual(ok.errors, []);
});

test("a global import is refused as a missing import (cpp-host links functions, memory and tables only)", async () => {
  const err = await refusal(`(module (import "env" "g" (global i32)) ${MALLOC} (func (export "proxy_abi_version_0_2_1")))`);
  assert.match(err.message, /missing import: env\.g/);
});

test("bytes that are not a wasm module are refused as corrupted", async () => {
  const host = new Host();
  await assert.rejects(host.loadPlugin({ wasm: new TextEncoder().encode("hello world"), rootId: "r" }), /Failed to parse corrupted Wasm module/);
});

test("parseModule reads imports with signatures and exports with kinds", async () => {
  const info = parseModule(await assemble(`(module
    (import "env" "proxy_increment_metric" (func (param i32 i64) (result i32)))
    (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
    ${MALLOC} (func (export "proxy_abi_version_0_2_1")))`));
  assert.deepEqual(info.imports, [
    { module: "env", name: "proxy_increment_metric", kind: "func", sig: "iI:i" },
    { module: "wasi_snapshot_preview1", name: "fd_write", kind: "func", sig: "iiii:i" },
  ]);
  assert.deepEqual(info.exports.map((e) => [e.name, e.kind, e.sig]), [
    ["memory", "memory", undefined], ["malloc", "func", "i:i"], ["proxy_abi_version_0_2_1", "func", ":"],
  ]);
  assert.equal(info.hasMemory, true);
});

test("an SDK-neutral module exporting only malloc and the 0_2_0 marker runs a full HTTP stream", async () => {
  const host = new Host();
  const plugin = await host.loadPlugin({ wasm: await fixture("filter.wat"), rootId: "neutral", configuration: "cfg-1" });
  const s = plugin.createHttpStream();
  assert.equal(s.callOnRequestHeaders(get("/hello")), 0);
  assert.deepEqual(s.requestHeaders.at(-1), ["x-path", "/hello"]);
  assert.equal(s.callOnResponseHeaders([[":status", "200"], ["server", "upstream"]]), 0);
  assert.deepEqual(s.responseHeaders, [[":status", "200"], ["server", "wat"]]);
  s.complete();
  assert.deepEqual(host.logs("info").filter((e) => e.worker >= 0).map((e) => e.message), ["vm started", "cfg-1", "vm started", "cfg-1", "on_log"]);
});

test("a configuration the module's proxy_on_configure refuses rejects the plugin", async () => {
  const host = new Host();
  await assert.rejects(host.loadPlugin({ wasm: await fixture("filter.wat"), rootId: "r", configuration: "!bad" }),
    /Failed to configure base Wasm plugin/);
});

test("each plugin starts on a canary VM first, then on every worker: context_create, vm_start, configure", async () => {
  const wat = `(module
    (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
    ${MALLOC} (func (export "proxy_abi_version_0_2_1"))
    (data (i32.const 100) "initmaincreatestartconfigure")
    (func (export "_initialize") (drop (call $log (i32.const 2) (i32.const 100) (i32.const 4))))
    (func (export "main") (param i32 i32) (result i32) (drop (call $log (i32.const 2) (i32.const 104) (i32.const 4))) (i32.const 0))
    (func (export "proxy_on_context_create") (param i32 i32) (drop (call $log (i32.const 2) (i32.const 108) (i32.const 6))))
    (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (drop (call $log (i32.const 2) (i32.const 114) (i32.const 5))) (i32.const 1))
    (func (export "proxy_on_configure") (param i32 i32) (result i32) (drop (call $log (i32.const 2) (i32.const 119) (i32.const 9))) (i32.const 1)))`;
  const host = new Host();
  const plugin = await host.loadPlugin({ wasm: await assemble(wat), rootId: "r", workers: 2 });
  const lines = (w: number) => host.logs().filter((e) => e.worker === w).map((e) => `${e.contextId}:${e.message}`);
  const expected = ["0:init", "0:main", "1:create", "1:start", "1:configure"];
  assert.deepEqual(lines(-1), expected, "the canary");
  assert.deepEqual(lines(0), expected, "worker 0");
  assert.deepEqual(lines(1), expected, "worker 1");
  assert.equal(host.logs().findIndex((e) => e.worker === 0), 5, "the canary finishes before the workers start");
  assert.deepEqual(plugin.workers.map((w) => w.rootContextId), [1, 1]);
});

test("plugins with the same vm_id and code share worker VMs and get distinct root context ids", async () => {
  const host = new Host();
  const bytes = await fixture("filter.wat");
  const a = await host.loadPlugin({ wasm: bytes, rootId: "a", vmId: "shared" });
  const b = await host.loadPlugin({ wasm: bytes, rootId: "b", vmId: "shared" });
  assert.equal(a.workers[0].vm, b.workers[0].vm);
  assert.notEqual(a.workers[0].rootContextId, b.workers[0].rootContextId);
  const c = await host.loadPlugin({ wasm: bytes, rootId: "c", vmId: "other" });
  assert.notEqual(c.workers[0].vm, a.workers[0].vm);
});

test("while the VM starts only logging and WASI basics are allowed: a metric defined in _initialize traps", async () => {
  const wat = (call: string) => `(module
    (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
    (import "env" "proxy_define_metric" (func $define (param i32 i32 i32 i32) (result i32)))
    ${MALLOC} (func (export "proxy_abi_version_0_2_1"))
    (data (i32.const 100) "m")
    (func (export "_initialize") ${call}))`;
  const host = new Host();
  await assert.rejects(host.loadPlugin({ wasm: await assemble(wat("(drop (call $define (i32.const 0) (i32.const 100) (i32.const 1) (i32.const 200)))")), rootId: "r" }),
    /Failed to initialize Wasm code \(Function: _initialize failed: Uncaught RuntimeError: restricted_callback \(env\.proxy_define_metric called during VM start\)\)/);
  await host.loadPlugin({ wasm: await assemble(wat("(drop (call $log (i32.const 2) (i32.const 100) (i32.const 1)))")), rootId: "r" });
  assert.deepEqual(host.logs("info").map((e) => e.message), ["m", "m", "m"], "canary and two workers logged during start");
});

test("a module importing its memory gets one with the limits it declares", async () => {
  const host = new Host();
  const plugin = await host.loadPlugin({ wasm: await assemble(`(module
    (import "env" "memory" (memory 3 10))
    (func (export "malloc") (param i32) (result i32) (i32.const 1024))
    (func (export "proxy_abi_version_0_2_1")))`), rootId: "r", workers: 1 });
  assert.equal(plugin.workers[0].memoryBytes().length, 3 * 65536);
});

test("proxy_on_vm_start returning false refuses the plugin (Envoy: Failed to start base Wasm)", async () => {
  const host = new Host();
  await assert.rejects(host.loadPlugin({ wasm: await assemble(`(module ${MALLOC} (func (export "proxy_abi_version_0_2_1"))
    (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 0)))`), rootId: "r" }),
    /plugin "r": Failed to start base Wasm/);
});

test("the host implements every function Envoy registers: a module importing all of them loads (each ABI version)", async () => {
  const { registeredImports } = await import("../../../envoy-test/host/abi.ts");
  const type = (c: string) => (c === "I" ? "i64" : "i32");
  for (const abi of ["0_1_0", "0_2_0", "0_2_1"] as const) {
    const lines: string[] = [];
    for (const [module, fns] of registeredImports(abi)) {
      for (const [name, sig] of fns) {
        const [p, r] = sig.split(":");
        const params = p ? `(param ${[...p].map(type).join(" ")})` : "";
        const results = r ? `(result ${[...r].map(type).join(" ")})` : "";
        lines.push(`(import "${module}" "${name}" (func ${params} ${results}))`);
      }
    }
    const host = new Host();
    const plugin = await host.loadPlugin({ wasm: await assemble(`(module ${lines.join("\n")} ${MALLOC}
      (func (export "proxy_abi_version_${abi}")))`), rootId: abi, workers: 1 });
    assert.equal(plugin.failed, false, abi);
    assert.ok(lines.length > (abi === "0_2_1" ? 39 : 30), `${abi}: ${lines.length} imports`);
  }
});
