// A plugin (vm_id, root_id, configuration) running on N worker VMs, as Envoy runs a wasm filter
// config: a canary VM is started and configured first and then discarded (proxy-wasm-cpp-host
// src/wasm.cc WasmHandleBase::canary), then each worker's VM starts the plugin's root context:
// proxy_on_context_create(root, 0), proxy_on_vm_start, proxy_on_configure (ContextBase::onStart,
// ContextBase::onConfigure; getOrCreateThreadLocalPlugin). A false from on_vm_start or on_configure
// rejects the configuration. The whole lifecycle is here: start, configure, shutdown, delete.
import { EMPTY, toBytes } from "./codec.ts";
import { RootContext, type PluginInfo } from "./context.ts";
import { HttpStream } from "./http-stream.ts";
import { TcpConnection } from "./tcp-connection.ts";
import type { StreamMode } from "./stream-context.ts";
import { cancelCallouts } from "./callouts.ts";
import { stopTicks, tickNow } from "./ticks.ts";
import type { PropertyValue, StreamEvents } from "./types.ts";
import type { WasmVm } from "./vm.ts";

/** What a caller may give a new stream or connection: its worker, properties, event hooks and (HTTP) Envoy's buffer limit. */
type StreamOptions = { worker?: number; properties?: Record<string, PropertyValue>; events?: StreamEvents; bufferLimit?: number };

export class PluginLoadError extends Error {
  constructor(message: string, readonly errors: string[] = [message]) {
    super(message);
    this.name = "PluginLoadError";
  }
}

/** One worker's view of a plugin: the worker VM and this plugin's root context in it. */
export class PluginOnWorker {
  constructor(readonly index: number, readonly vm: WasmVm, readonly root: RootContext) {}
  get failed(): boolean { return this.vm.failed; }
  get failMessage(): string { return this.vm.failMessage; }
  get rootContextId(): number { return this.root.contextId; }
  /** A copy of the worker's linear memory. */
  memoryBytes(): Uint8Array { return this.vm.mem.bytes().slice(); }
  /** Contexts alive in this VM (root and streams), by id. */
  get contextIds(): number[] { return [...this.vm.contexts.keys()]; }
}

/**
 * ContextBase::onStart: on_context_create(root, 0), then on_vm_start(root, vm config size). Neither
 * step looks at isFailed(): a trap in on_context_create fails the VM, on_vm_start still runs, and
 * only its result decides (a trap in on_vm_start returns R{} = 0 from the V8 wrapper, a refusal).
 * onConfigure then counts a failed VM as configured, so the plugin loads with a failed VM and its
 * streams follow the fail policy (src/context.cc onStart/onConfigure, src/v8/v8.cc getModuleFunctionImpl).
 */
export function startRoot(vm: WasmVm, root: RootContext): boolean {
  const create = vm.fns.proxy_on_context_create, start = vm.fns.proxy_on_vm_start;
  if (create) {
    vm.call(root, "proxy_on_context_create", create, root.contextId, 0);
    root.created = true;
  }
  if (!start) return true;
  const r = vm.call(root, "proxy_on_vm_start", start, root.contextId, vm.vmConfiguration.length);
  return r !== undefined && r !== 0;
}

/** ContextBase::onConfigure: a failed VM counts as configured; else on_configure(root, size). */
export function configureRoot(vm: WasmVm, root: RootContext, configuration: Uint8Array): boolean {
  if (vm.failed) return true;
  const create = vm.fns.proxy_on_context_create;
  if (!root.created && create) vm.call(root, "proxy_on_context_create", create, root.contextId, 0);
  root.created = true;
  const f = vm.fns.proxy_on_configure;
  if (!f) return true;
  root.tempPluginConfiguration = configuration;
  const r = vm.call(root, "proxy_on_configure", f, root.contextId, configuration.length);
  root.tempPluginConfiguration = null;
  return !vm.failed && r !== undefined && r !== 0;
}

function why(vm: WasmVm): string {
  return vm.failed ? ` (${vm.failMessage})` : "";
}

/** A root context for the plugin in a VM (WasmBase::createRootContext), with the VM's next context id. */
export function newRoot(vm: WasmVm, info: PluginInfo): RootContext {
  const root = new RootContext(vm, vm.allocContextId(), info);
  vm.contexts.set(root.contextId, root);
  return root;
}

/**
 * WasmHandleBase::canary: a fresh VM starts and configures the plugin and is then discarded; a
 * refusal throws Envoy's message. The reason is read before `discard`, which overwrites it.
 */
export function runCanary(canary: WasmVm, info: PluginInfo, where: string, discard: (vm: WasmVm) => void): void {
  const root = newRoot(canary, info);
  let refusal: string | null = null;
  if (!startRoot(canary, root)) refusal = `Failed to start base Wasm${why(canary)}`;
  else if (!configureRoot(canary, root, info.configuration)) refusal = `Failed to configure base Wasm plugin${why(canary)}`;
  discard(canary);
  if (refusal) throw new PluginLoadError(`${where}: ${refusal}`);
}

/** getOrCreateThreadLocalPlugin on each worker VM: a root context, started (unless the VM already failed) and configured. */
export function startOnWorkers(vms: WasmVm[], info: PluginInfo, where: string): PluginOnWorker[] {
  return vms.map((vm) => {
    const root = newRoot(vm, info);
    if (!vm.failed && !startRoot(vm, root)) throw new PluginLoadError(`${where}: Failed to start thread-local Wasm${why(vm)}`);
    if (!configureRoot(vm, root, info.configuration)) throw new PluginLoadError(`${where}: Failed to configure thread-local Wasm plugin${why(vm)}`);
    return new PluginOnWorker(vm.worker, vm, root);
  });
}

/** proxy_on_delete of a root context, then its timers and callouts go (Envoy's Context destructor). */
export function deleteRoot(root: RootContext): void {
  const vm = root.vm;
  if (root.deleted) return;
  const del = vm.fns.proxy_on_delete;
  if (!vm.failed && del && root.created) vm.call(root, "proxy_on_delete", del, root.contextId);
  root.deleted = true;
  stopTicks(vm, root);
  cancelCallouts(vm, root);
  vm.contexts.delete(root.contextId);
}

export class Plugin {
  private rr = 0;

  constructor(readonly info: PluginInfo, readonly workers: PluginOnWorker[],
    readonly kind?: "http" | "network") {}

  get name(): string { return this.info.name; }
  get rootId(): string { return this.info.rootId; }
  get vmId(): string { return this.info.vmId; }
  get failOpen(): boolean { return this.info.failOpen; }
  /** Some worker VM has failed (a trap): its streams follow fail_open. */
  get failed(): boolean { return this.workers.some((w) => w.failed); }

  private pick(worker: number | undefined): PluginOnWorker {
    if (worker === undefined) {
      const w = this.workers[this.rr % this.workers.length];
      this.rr++;
      return w;
    }
    const w = this.workers[worker];
    if (!w) throw new Error(`plugin ${this.info.name}: no worker ${worker} (workers 0..${this.workers.length - 1})`);
    return w;
  }

  private mode(w: PluginOnWorker): StreamMode {
    if (!w.failed) return "vm";
    return this.info.failOpen ? "skip" : "fail-closed";
  }

  createHttpStream(opts: StreamOptions = {}): HttpStream {
    if (this.kind === "network") throw new Error(`plugin ${this.info.name || this.info.rootId}: loaded as a network filter (envoy.filters.network.wasm); it has no HTTP streams`);
    return this.open(HttpStream, opts);
  }

  createTcpConnection(opts: StreamOptions = {}): TcpConnection {
    if (this.kind === "http") throw new Error(`plugin ${this.info.name || this.info.rootId}: loaded as an HTTP filter (envoy.filters.http.wasm); it has no TCP connections`);
    return this.open(TcpConnection, opts);
  }

  /** A stream context on the picked worker: a fresh context id when its VM runs, none when skipped or failed closed. */
  private open<S extends HttpStream | TcpConnection>(
    Kind: new (vm: WasmVm, id: number, root: RootContext, info: PluginInfo, mode: StreamMode, opts: StreamOptions) => S,
    opts: StreamOptions,
  ): S {
    const w = this.pick(opts.worker);
    const mode = this.mode(w);
    const id = mode === "vm" ? w.vm.allocContextId() : 0;
    const s = new Kind(w.vm, id, w.root, this.info, mode, opts);
    if (id) w.vm.contexts.set(id, s);
    return s;
  }

  /** proxy_on_tick on one worker's root context now, or on every worker's. */
  tick(worker?: number): void {
    const list = worker === undefined ? this.workers : [this.pick(worker)];
    for (const w of list) tickNow(w.vm, w.root);
  }

  /** Runs proxy_on_configure again on every worker with a new configuration; true if all accepted. */
  configure(configuration: string | Uint8Array): boolean {
    const bytes = toBytes(configuration);
    this.info.configuration = bytes;
    let ok = true;
    for (const w of this.workers) ok = configureRoot(w.vm, w.root, bytes) && ok;
    return ok;
  }

  /** proxy_on_foreign_function(root, id, size) with the arguments in the CallData buffer. */
  callForeign(worker: number, functionId: number, args: Uint8Array): void {
    const w = this.pick(worker);
    const f = w.vm.fns.proxy_on_foreign_function;
    if (w.failed || !f) return;
    w.root.callData = args;
    w.vm.call(w.root, "proxy_on_foreign_function", f, w.root.contextId, functionId, args.length);
    w.root.callData = EMPTY;
  }

  /** WasmBase::startShutdown: on_done per root; true -> on_delete now, false -> wait for proxy_done. */
  shutdown(): void {
    for (const w of this.workers) {
      const { vm, root } = w;
      if (root.deleted) continue;
      const done = vm.fns.proxy_on_done;
      let finished = true;
      if (!vm.failed && done) {
        const r = vm.call(root, "proxy_on_done", done, root.contextId);
        finished = vm.failed || r === undefined || r !== 0;
      }
      if (finished) deleteRoot(root);
      else root.pendingDone = true;
    }
  }
}
