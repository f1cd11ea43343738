// Tick timers, one per root context per worker VM (Envoy source/extensions/common/wasm/wasm.cc
// Wasm::setTickPeriod / Wasm::tickHandler): a period of 0 stops the timer; the next tick is armed
// one period after proxy_on_tick returns; a failed VM gets no more ticks.
import type { RootContext } from "./context.ts";
import type { WasmVm } from "./vm.ts";

export function tickPeriod(vm: WasmVm, root: RootContext, periodMs: number): void {
  const clock = vm.process.clock;
  if (root.tickTimer) {
    clock.cancel(root.tickTimer);
    root.tickTimer = null;
  }
  root.tickPeriod = periodMs;
  if (periodMs > 0) root.tickTimer = clock.schedule(periodMs, () => fireTick(vm, root));
}

export function fireTick(vm: WasmVm, root: RootContext): void {
  root.tickTimer = null;
  tickNow(vm, root);
  if (root.tickPeriod > 0 && !root.tickTimer && !root.deleted && !vm.failed) {
    root.tickTimer = vm.process.clock.schedule(root.tickPeriod, () => fireTick(vm, root));
  }
}

/** ContextBase::onTick: skipped on a failed VM or a module without proxy_on_tick. */
export function tickNow(vm: WasmVm, root: RootContext): void {
  const f = vm.fns.proxy_on_tick;
  if (vm.failed || !f || root.deleted) return;
  vm.call(root, "proxy_on_tick", f, root.contextId);
}

export function stopTicks(vm: WasmVm, root: RootContext): void {
  if (root.tickTimer) vm.process.clock.cancel(root.tickTimer);
  root.tickTimer = null;
  root.tickPeriod = 0;
}
