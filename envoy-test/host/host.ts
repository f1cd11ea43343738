// Host: one "Envoy process". Holds the process-wide state (process.ts: clock, stats, shared data,
// queues, logs, posted work), the settings hostcalls read (log level, properties, clusters, the
// callout transport, foreign functions) and the pending callouts, and loads plugins onto worker VMs.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { LogLevel, WasmResult } from "./abi.ts";
import type { Callout } from "./callouts.ts";
import { cancelCallouts, pendingOf } from "./callouts.ts";
import { type Clock, ManualClock } from "./clock.ts";
import { toBytes } from "./codec.ts";
import { RootContext, type PluginInfo } from "./context.ts";
import type { ForeignFunction } from "./foreign.ts";
import { buildEnv } from "./hostcalls.ts";
import { DEFAULT_MAX_MEMORY_BYTES, PAGE_BYTES, capModuleMemory } from "./memory-limit.ts";
import { checkModule, type ModuleImport } from "./module-check.ts";
import { Plugin, PluginLoadError, deleteRoot, runCanary, startOnWorkers } from "./plugin.ts";
import { ProcessState, type SharedEntry } from "./process.ts";
import type { SharedQueues } from "./queues.ts";
import type { Stats } from "./stats.ts";
import { stopTicks } from "./ticks.ts";
import type { CalloutTransport, LogEntry, LogLevelName, PluginOptions, PropertyValue } from "./types.ts";
import { WasmVm } from "./vm.ts";
import { buildWasi } from "./wasi.ts";
import { wrapImports } from "./restrict.ts";
import { WASI_MODULES, type AbiVersion } from "./abi.ts";

export interface HostOptions {
  clock?: Clock;
  logLevel?: LogLevel;
  onLog?: (e: LogEntry) => void;
  callouts?: CalloutTransport;
  properties?: Record<string, PropertyValue>;
  /** cluster names callouts may target (Envoy: BadArgument for an unknown cluster); absent: any */
  clusters?: string[];
  /** keep log entries in memory for logs() (default true) */
  recordLogs?: boolean;
  /** most log entries kept for logs(); older ones are dropped (default 100000) */
  maxLogEntries?: number;
  /** count hostcalls by name in Host.hostcalls (benchmarks: hostcalls per stream) */
  countHostcalls?: boolean;
  /** tests: a trap outside loadPlugin also throws a PluginTrapError from the call that trapped
   *  (fail message, backtrace, last log lines), after Envoy's fail policy has been applied */
  throwOnTrap?: boolean;
  /**
   * Most linear memory one VM may have (default 1 GiB, cpp-host's
   * PROXY_WASM_HOST_MAX_WASM_MEMORY_SIZE_BYTES); memory.grow past it returns -1. Whole 64 KiB pages.
   */
  maxMemoryBytes?: number;
}

export type { Callout };

interface VmGroup { vms: WasmVm[]; module: WebAssembly.Module; abi: AbiVersion }

export class Host {
  /** shared data, queues, logs, posted work, clock and stats: the process-wide state (process.ts) */
  readonly process: ProcessState;
  readonly plugins: Plugin[] = [];
  /** hostcalls made by name, when constructed with countHostcalls */
  readonly hostcalls: Map<string, number> | null;
  /** the per-VM linear-memory cap, in 64 KiB pages */
  readonly maxMemoryPages: number;

  private readonly groups = new Map<string, VmGroup>();
  private readonly modules = new Map<string, WebAssembly.Module>();

  constructor(opts: HostOptions = {}) {
    this.process = new ProcessState(opts);
    this.hostcalls = opts.countHostcalls ? new Map() : null;
    const maxMemory = opts.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES;
    if (!Number.isInteger(maxMemory) || maxMemory < PAGE_BYTES || maxMemory % PAGE_BYTES !== 0 || maxMemory > 4 * 1024 ** 3) {
      throw new Error(`Host: maxMemoryBytes must be a whole number of 64 KiB pages between 64 KiB and 4 GiB, got ${maxMemory}`);
    }
    this.maxMemoryPages = maxMemory / PAGE_BYTES;
  }

  /**
   * Loads a plugin onto `workers` VMs (default 2). Plugins with the same vm_id, code and VM
   * configuration share their worker VMs, as Envoy shares a VM between filter configs. Rejects
   * with a PluginLoadError carrying Envoy's message.
   */
  async loadPlugin(opts: PluginOptions): Promise<Plugin> {
    this.process.loading++;
    try { return await this.load(opts); } finally { this.process.loading--; }
  }

  private async load(opts: PluginOptions): Promise<Plugin> {
    const where = `plugin ${JSON.stringify(opts.name ?? opts.rootId)}`;
    let bytes: Uint8Array;
    if (typeof opts.wasm === "string") {
      try { bytes = new Uint8Array(await readFile(opts.wasm)); }
      catch (e) { throw new PluginLoadError(`${where}: cannot read ${opts.wasm}: ${(e as Error).message}`); }
    } else bytes = opts.wasm;
    const check = checkModule(bytes);
    if (!check.ok) throw new PluginLoadError(`${where}: ${check.errors[0]}`, check.errors);
    const abi = check.abi!;
    const workers = opts.workers ?? 2;
    if (!Number.isInteger(workers) || workers < 1) throw new PluginLoadError(`${where}: workers must be an integer >= 1, got ${workers}`);
    const vmId = opts.vmId ?? "";
    const vmConfig = toBytes(opts.vmConfiguration);
    const info: PluginInfo = {
      name: opts.name ?? "", rootId: opts.rootId, vmId, configuration: toBytes(opts.configuration),
      failOpen: opts.failOpen ?? false, allowOnHeadersStopIteration: opts.allowOnHeadersStopIteration ?? false, properties: {},
    };
    const hash = createHash("sha256").update(bytes).digest("hex");
    let module = this.modules.get(hash);
    if (!module) {
      try { module = new WebAssembly.Module(capModuleMemory(bytes, this.maxMemoryPages) as Uint8Array<ArrayBuffer>); }
      catch (e) { throw new PluginLoadError(`${where}: Failed to load Wasm bytecode: ${(e as Error).message}`); }
      this.modules.set(hash, module);
    }
    const env = opts.environment ?? {};
    const key = `${vmId}\0${hash}\0${Buffer.from(vmConfig).toString("hex")}\0${JSON.stringify(env)}`;
    let group = this.groups.get(key);
    if (group && group.vms.length !== workers) {
      throw new PluginLoadError(`${where}: vm_id "${vmId}" already runs on ${group.vms.length} workers, not ${workers}`);
    }

    const memTables = check.info.imports.filter((i) => i.kind === "memory" || i.kind === "table");
    runCanary(this.newVm(module, abi, vmId, -1, vmConfig, env, where, memTables), info, where, (vm) => this.discardVm(vm));
    if (!group) {
      const vms: WasmVm[] = [];
      for (let i = 0; i < workers; i++) vms.push(this.newVm(module, abi, vmId, i, vmConfig, env, where, memTables));
      group = { vms, module, abi };
      this.groups.set(key, group);
    }
    const plugin = new Plugin(info, startOnWorkers(group.vms, info, where), opts.kind);
    this.plugins.push(plugin);
    return plugin;
  }

  private newVm(module: WebAssembly.Module, abi: AbiVersion, vmId: string, worker: number, vmConfig: Uint8Array,
    env: Record<string, string>, where: string, memoryAndTableImports: ModuleImport[]): WasmVm {
    const vm = new WasmVm(this.process, vmId, abi, worker, vmConfig, env);
    const imports: WebAssembly.Imports = { env: wrapImports(vm, "env", buildEnv(vm), this.hostcalls) as WebAssembly.ModuleImports };
    const wasi = buildWasi(vm);
    for (const m of WASI_MODULES) imports[m] = wrapImports(vm, m, wasi, this.hostcalls) as WebAssembly.ModuleImports;
    // cpp-host V8::link creates imported memories and tables with the module's own limits.
    for (const imp of memoryAndTableImports) {
      const { min, max } = imp.limits!;
      if (imp.kind === "memory" && min > this.maxMemoryPages) {
        throw new PluginLoadError(`${where}: Failed to load Wasm bytecode: initial memory size (${min} pages) is larger than implementation limit (${this.maxMemoryPages} pages)`);
      }
      const memMax = max === undefined || max > this.maxMemoryPages ? this.maxMemoryPages : max;
      const value = imp.kind === "memory"
        ? new WebAssembly.Memory({ initial: min, maximum: memMax })
        : new WebAssembly.Table(max === undefined ? { initial: min, element: "anyfunc" } : { initial: min, maximum: max, element: "anyfunc" });
      imports[imp.module] = { ...imports[imp.module], [imp.name]: value };
    }
    vm.vmContext = new RootContext(vm, 0, { name: "", rootId: "", vmId, configuration: vmConfig, failOpen: false, properties: {} });
    try {
      vm.start(module, imports);
    } catch (e) {
      throw new PluginLoadError(`${where}: Failed to initialize Wasm code: ${(e as Error).message}`);
    }
    if (vm.failed) throw new PluginLoadError(`${where}: Failed to initialize Wasm code (${vm.failMessage})`);
    return vm;
  }

  private discardVm(vm: WasmVm): void {
    for (const c of vm.contexts.values()) if (c instanceof RootContext) { stopTicks(vm, c); cancelCallouts(vm, c); c.deleted = true; }
    const pending = pendingOf(this.process);
    for (const p of [...pending]) if (p.vm === vm) pending.delete(p);
    vm.failed = true;
    vm.failMessage = "canary VM discarded";
  }

  /** proxy_on_delete of a root context, then its timers and callouts go (plugin.ts deleteRoot). */
  deleteRoot(root: RootContext): void { deleteRoot(root); }

  // --- the process-wide state, as the driver API has always offered it ---

  get stats(): Stats { return this.process.stats; }
  get logLevel(): LogLevel { return this.process.logLevel; }
  set logLevel(l: LogLevel) { this.process.logLevel = l; }
  get properties(): Record<string, PropertyValue> { return this.process.properties; }
  get clusters(): Set<string> | null { return this.process.clusters; }
  set clusters(c: Set<string> | null) { this.process.clusters = c; }
  get callouts(): CalloutTransport | null { return this.process.callouts; }
  set callouts(t: CalloutTransport | null) { this.process.callouts = t; }
  get foreignFunctions(): Map<string, ForeignFunction> { return this.process.foreignFunctions; }
  get filterStateFactories(): Set<string> { return this.process.filterStateFactories; }
  get clock(): Clock { return this.process.clock; }
  get queues(): SharedQueues { return this.process.queues; }
  get callDepth(): number { return this.process.callDepth; }
  set callDepth(n: number) { this.process.callDepth = n; }
  emitLog(e: LogEntry): void { this.process.emitLog(e); }
  /** Log lines, all or of one level, each with the plugin, worker and context that wrote it. */
  logs(level?: LogLevelName): LogEntry[] { return this.process.logs(level); }
  clearLogs(): void { this.process.clearLogs(); }
  /** The shared data of a vm_id (live map: tests may read and seed it). */
  sharedData(vmId = ""): Map<string, SharedEntry> { return this.process.sharedData(vmId); }
  /** SharedData::set: cas 0 writes unconditionally; a stale cas is CasMismatch; each write gets a new cas. */
  setSharedData(vmId: string, key: string, value: Uint8Array, cas = 0): WasmResult { return this.process.setSharedData(vmId, key, value, cas); }
  /** Work Envoy would post to a worker's dispatcher; runs once no wasm call is in progress. */
  post(f: () => void): void { this.process.post(f); }
  drainPosted(): void { this.process.drainPosted(); }
  /** Enqueue from outside the VMs (a test, an operator), as another VM would. */
  enqueue(vmId: string, queueName: string, data: string | Uint8Array): WasmResult { return this.process.enqueue(vmId, queueName, data); }

  // --- callouts, clock, posted work ---

  /** HTTP and gRPC callouts waiting for an answer (respond() / fail()). */
  pendingCallouts(): Callout[] {
    return [...pendingOf(this.process)];
  }

  /** ManualClock only: moves time, firing due ticks and callout timeouts. */
  advance(ms: number): void {
    if (!(this.clock instanceof ManualClock)) throw new Error("Host.advance: the host runs on a RealClock; time moves by itself");
    this.clock.advance(ms);
  }
}
