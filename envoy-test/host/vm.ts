// One worker VM: a module instance with its own linear memory, as Envoy runs one per worker thread
// per vm_id + code (proxy-wasm-cpp-host src/wasm.cc WasmBase, getOrCreateThreadLocalWasm).
// Calls into the module go through call(): it sets the current context, turns a trap into a failed
// VM (cpp-host V8::getModuleFunctionImpl -> fail(FailState::RuntimeError, "Function: ... failed"))
// and runs the deferred "after VM call" actions once the outermost call returns
// (DeferAfterCallActions / WasmBase::doAfterVmCallActions).
import type { AbiVersion } from "./abi.ts";
import { MODULE_CALLBACKS } from "./abi.ts";
import type { ContextBase, RootContext } from "./context.ts";
import { GuestMemory } from "./memory.ts";
import { utf8Length } from "./codec.ts";
import type { ProcessState } from "./process.ts";
import { VmMetrics } from "./metrics.ts";
import type { LogLevelName } from "./types.ts";
import { formatBacktrace, functionNames, PluginTrapError } from "./backtrace.ts";

const namesOf = new WeakMap<WebAssembly.Module, Map<number, string>>();
/** frames kept in a trap's stack when the module has names (V8's default of 10 cuts deep stacks) */
const TRAP_FRAMES = 64;
/** log lines of the VM shown with a trap thrown to a test */
const TRAP_LOG_LINES = 5;

// deno-lint-ignore no-explicit-any
type WasmFn = (...args: any[]) => any;


/** The phases in which cpp-host restricts hostcalls (restrict.ts): while the VM starts, inside malloc. */
export type Phase = "start" | "malloc";

export class WasmVm {
  instance!: WebAssembly.Instance;
  mem!: GuestMemory;
  readonly fns: Record<string, WasmFn | null> = {};
  malloc: WasmFn | null = null;

  readonly contexts = new Map<number, ContextBase>();
  private nextContextId = 1; // cpp-host: 0 is reserved for the VM context
  current: ContextBase | null = null;
  /** the VM context (id 0) hostcalls act on outside any plugin context, e.g. in _initialize */
  vmContext!: RootContext;
  effectiveId = 0;
  private depth = 0;
  private afterActions: (() => void)[] = [];
  /** proxy_on_context_create etc. ran on a failed VM (plugin fail policy applies) */
  failed = false;
  failMessage = "";
  /** cpp-host restricted callbacks: which phase limits the hostcalls (restrict.ts), or null */
  restricted: Phase | null = null;
  /** function names from the module's name section (a --debug build): a trap logs a backtrace */
  names: Map<number, string> = new Map();
  /** the trap to throw once the outermost call returns (Host throwOnTrap) */
  private pendingTrap: PluginTrapError | null = null;
  /** set while a call that returned StopIteration... was asked to stop by a local reply */
  stopNextIteration = false;

  /** the metrics this VM defined (metrics.ts) */
  readonly metrics: VmMetrics;
  // Callout tokens likewise (cpp-host wasm.h CalloutType, kCalloutIncrement); the callouts
  // themselves are in callouts.ts (calloutsOf).
  nextCallout = [0, 1, 2];

  constructor(
    /** the process-wide state every VM shares (shared data, queues, logs, posted work, clock, stats, settings) */
    readonly process: ProcessState,
    readonly vmId: string,
    readonly abi: AbiVersion,
    readonly worker: number,
    readonly vmConfiguration: Uint8Array,
    readonly environment: Record<string, string>,
  ) {
    this.metrics = new VmMetrics(process.stats);
  }

  /** Instantiates and runs _initialize then main/__main_void, or _start (WasmBase::startVm). */
  start(module: WebAssembly.Module, imports: WebAssembly.Imports): void {
    let names = namesOf.get(module);
    if (!names) namesOf.set(module, (names = functionNames(module)));
    this.names = names;
    this.instance = new WebAssembly.Instance(module, imports);
    const ex = this.instance.exports;
    const memory = (ex.memory as WebAssembly.Memory | undefined) ?? (imports.env?.memory as WebAssembly.Memory | undefined);
    if (!(memory instanceof WebAssembly.Memory)) throw new Error("Wasm module exports no memory");
    this.mem = new GuestMemory(memory);
    for (const name of Object.keys(MODULE_CALLBACKS)) {
      const f = ex[name];
      this.fns[name] = typeof f === "function" ? (f as WasmFn) : null;
    }
    // ABI 0.1.0 has no proxy_on_foreign_function (WasmBase::getFunctions).
    if (this.abi === "0_1_0") this.fns.proxy_on_foreign_function = null;
    this.malloc = this.fns.malloc ?? this.fns.proxy_on_memory_allocate;
    const init = this.fns._initialize;
    this.restricted = "start";
    if (init) {
      this.call(null, "_initialize", init);
      if (!this.failed && this.fns.main) this.call(null, "main", this.fns.main, 0, 0);
      else if (!this.failed && this.fns.__main_void) this.call(null, "__main_void", this.fns.__main_void);
    } else if (this.fns._start) {
      this.call(null, "_start", this.fns._start);
    }
    this.restricted = null;
  }

  allocContextId(): number {
    while (this.contexts.has(this.nextContextId)) this.nextContextId++;
    return this.nextContextId++;
  }

  /**
   * Calls an export with the given context current. Returns the result (undefined for void), or
   * undefined after a trap, which fails the VM.
   */
  call(ctx: ContextBase | null, name: string, f: WasmFn, a?: number, b?: number, c?: number, d?: number, e?: number, g?: number): number | undefined {
    const prevCur = this.current, prevEff = this.effectiveId;
    this.current = ctx;
    this.effectiveId = 0;
    const limit = Error.stackTraceLimit;
    if (this.depth === 0 && this.names.size && limit < TRAP_FRAMES) Error.stackTraceLimit = TRAP_FRAMES;
    this.depth++;
    this.process.callDepth++;
    let result: number | undefined;
    try {
      result = f(a, b, c, d, e, g);
    } catch (err) {
      this.fail(name, err);
      result = undefined;
    } finally {
      this.current = prevCur;
      this.effectiveId = prevEff;
      this.depth--;
      this.process.callDepth--;
      if (this.depth === 0) Error.stackTraceLimit = limit;
      if (this.depth === 0 && this.afterActions.length) this.runAfterActions();
      if (this.process.callDepth === 0) this.process.drainPosted();
    }
    if (this.depth === 0 && this.pendingTrap) {
      const trap = this.pendingTrap;
      this.pendingTrap = null;
      throw trap;
    }
    return result;
  }

  /** Envoy defers stream actions requested from inside a VM call until the call returns. */
  afterCall(action: () => void): void {
    if (this.depth === 0) action();
    else this.afterActions.push(action);
  }

  private runAfterActions(): void {
    while (this.afterActions.length) this.afterActions.shift()!();
  }

  /** cpp-host WasmBase::fail: log the error, mark the VM failed; every later call is refused. */
  fail(fn: string, err: unknown): void {
    const msg = err instanceof Error ? `${err.constructor.name}: ${err.message}` : String(err);
    this.failed = true;
    this.failMessage = `Function: ${fn} failed: Uncaught ${msg}${formatBacktrace(this.names, err)}`;
    const lastLogs = this.process.throwOnTrap && !this.process.loading
      ? this.process.logs().filter((l) => l.vmId === this.vmId && l.worker === this.worker).slice(-TRAP_LOG_LINES).map((l) => `[${l.level}] ${l.message}`)
      : null;
    this.log("error", this.failMessage, this.current?.contextId ?? 0, true);
    if (lastLogs) this.pendingTrap ??= new PluginTrapError(this.failMessage, lastLogs);
  }

  /** The context hostcalls act on: the effective context if set and alive, else the current one. */
  context(): ContextBase {
    if (this.effectiveId !== 0) {
      const c = this.contexts.get(this.effectiveId);
      if (c) return c;
    }
    return this.current ?? this.vmContext;
  }

  /**
   * allocMemory: the module's malloc, then a bounds check of the block it returned. Returns 0 on
   * failure, which is logged (cpp-host returns nullptr and the hostcall answers InvalidMemoryAccess).
   */
  allocate(size: number): number {
    const malloc = this.malloc;
    if (!malloc) return 0;
    let p: number | undefined;
    const prev = this.restricted;
    this.restricted = "malloc";
    try {
      p = malloc(size) as number;
    } catch (err) {
      this.restricted = prev;
      this.fail(this.fns.malloc ? "malloc" : "proxy_on_memory_allocate", err);
      return 0;
    }
    this.restricted = prev;
    p = (p ?? 0) >>> 0;
    if (p === 0 || !this.mem.inBounds(p, size)) {
      this.log("error", `wasm allocation of ${size} bytes failed (malloc returned ${p})`, this.current?.contextId ?? 0, true);
      return 0;
    }
    return p;
  }

  /** WasmBase::copyToPointerSize: allocate, copy, write pointer and size words. */
  copyOut(data: Uint8Array, ptrPtr: number, sizePtr: number): boolean {
    return this.copyOutRange(data, 0, data.length, ptrPtr, sizePtr);
  }

  /** copyToPointerSize of src[start, start+length) (no view made for the whole of src). */
  copyOutRange(src: Uint8Array, start: number, length: number, ptrPtr: number, sizePtr: number): boolean {
    let p = 0;
    if (length > 0) {
      p = this.allocate(length);
      if (p === 0) return false;
      this.mem.writeRange(p, src, start, length);
    }
    return this.mem.setU32Pair(ptrPtr, p, sizePtr, length);
  }

  /** copyToPointerSize of a string's UTF-8 bytes, written straight into the block (no Uint8Array). */
  copyOutText(s: string, ptrPtr: number, sizePtr: number): boolean {
    const length = utf8Length(s);
    let p = 0;
    if (length > 0) {
      p = this.allocate(length);
      if (p === 0) return false;
      this.mem.writeText(p, s, length);
    }
    return this.mem.setU32Pair(ptrPtr, p, sizePtr, length);
  }

  /** A log line; `fromHost` for the host's own lines about the VM (a trap), not the module's. */
  log(level: LogLevelName, message: string, contextId: number, fromHost = false): void {
    const ctx = contextId ? this.contexts.get(contextId) : null;
    const plugin = ctx?.plugin;
    this.process.emitLog({ level, message, plugin: plugin ? plugin.name || plugin.rootId : "", vmId: this.vmId, worker: this.worker, contextId,
      pluginName: plugin?.name ?? "", rootId: plugin?.rootId ?? "", ...(fromHost ? { fromHost } : {}) });
  }
}
