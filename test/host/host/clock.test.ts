// Clocks, reconfiguration and ABI 0.1.0 modules.
import assert from "node:assert/strict";
import { test } from "node:test";
import { FilterHeadersStatus, Host, ManualClock, RealClock } from "../../../envoy-test/host/index.ts";
import { assemble, fixture } from "../../support/wat.ts";
import { get } from "./requests.ts";

test("ManualClock fires due timers in time order, including ones scheduled while firing", () => {
  const clock = new ManualClock();
  const fired: string[] = [];
  clock.schedule(20, () => fired.push("b@" + clock.now()));
  clock.schedule(10, () => { fired.push("a@" + clock.now()); clock.schedule(5, () => fired.push("c@" + clock.now())); });
  const late = clock.schedule(30, () => fired.push("never"));
  clock.cancel(late);
  clock.advance(25);
  assert.deepEqual(fired, ["a@10", "c@15", "b@20"]);
  assert.equal(clock.now(), 25);
  assert.throws(() => clock.advance(-1), /ms must be a number >= 0/);
});

test("proxy_get_current_time_nanoseconds and WASI realtime come from the host clock's epoch", () => {
  const clock = new ManualClock(0, Date.UTC(2026, 0, 1));
  clock.advance(1500);
  assert.equal(clock.realtimeNs(), BigInt(Date.UTC(2026, 0, 1) + 1500) * 1_000_000n);
  assert.equal(clock.monotonicNs(), 1_500_000_000n);
});

test("RealClock runs a scheduled timer on the event loop, and Host.advance refuses it", async () => {
  const clock = new RealClock();
  await new Promise<void>((resolve) => clock.schedule(1, resolve));
  assert.throws(() => new Host({ clock }).advance(10), /RealClock/);
});

test("Plugin.configure re-runs proxy_on_configure on every worker and reports a refusal", async () => {
  const host = new Host();
  const plugin = await host.loadPlugin({ wasm: await fixture("filter.wat"), rootId: "f", configuration: "first" });
  host.clearLogs();
  assert.equal(plugin.configure("second"), true);
  assert.deepEqual(host.logs("info").map((e) => `${e.worker}:${e.message}`), ["0:second", "1:second"]);
  assert.equal(plugin.configure("!refused"), false);
});

test("an ABI 0.1.0 module gets two-argument header callbacks and its 0.1.0 hostcalls", async () => {
  const wat = `(module
    (import "env" "proxy_continue_request" (func $continue (result i32)))
    (memory (export "memory") 1)
    (func (export "malloc") (param i32) (result i32) (i32.const 1024))
    (func (export "proxy_abi_version_0_1_0"))
    (global $n (export "n_headers") (mut i32) (i32.const -1))
    (func (export "proxy_on_request_headers") (param $ctx i32) (param $n i32) (result i32)
      (global.set $n (local.get $n)) (i32.const 0)))`;
  const host = new Host();
  const plugin = await host.loadPlugin({ wasm: await assemble(wat), rootId: "old", workers: 1 });
  const s = plugin.createHttpStream();
  assert.equal(s.callOnRequestHeaders(get("/")), FilterHeadersStatus.Continue);
  assert.equal((plugin.workers[0].vm.instance.exports.n_headers as WebAssembly.Global).value, 4);
});
