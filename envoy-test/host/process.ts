// Process-wide state of one "Envoy process", shared by every VM and plugin: the clock and stats
// store, shared data and queues (per vm_id), the log, work posted to run once no wasm call is in
// progress (Envoy posts it to the worker's dispatcher), and the settings every VM reads. A leaf: it
// knows nothing of VMs or contexts, so everything in the host may use it without an import loop.
import { LogLevel, WasmResult } from "./abi.ts";
import { type Clock, ManualClock } from "./clock.ts";
import { toBytes } from "./codec.ts";
import { DEFAULT_FILTER_STATE_FACTORIES, type ForeignFunction, defaultForeignFunctions } from "./foreign.ts";
import { SharedQueues } from "./queues.ts";
import { Stats } from "./stats.ts";
import type { CalloutTransport, LogEntry, LogLevelName, PropertyValue } from "./types.ts";
import { LOG_LEVEL_NAMES } from "./types.ts";

export interface ProcessOptions {
  clock?: Clock;
  logLevel?: LogLevel;
  properties?: Record<string, PropertyValue>;
  clusters?: string[];
  callouts?: CalloutTransport;
  onLog?: (e: LogEntry) => void;
  recordLogs?: boolean;
  maxLogEntries?: number;
  /** a trap outside loadPlugin also throws a PluginTrapError from the call that trapped */
  throwOnTrap?: boolean;
}

export type SharedEntry = { value: Uint8Array; cas: number };

export class ProcessState {
  readonly stats = new Stats();
  readonly clock: Clock;
  readonly queues: SharedQueues;
  /** depth of wasm calls in progress across all VMs */
  callDepth = 0;
  // Settings every VM reads: the wasm log level, the host's property table, the clusters callouts
  // may name (null: any), the transport that answers callouts (null: tests answer them), the
  // foreign functions and the filter-state keys set_envoy_filter_state accepts.
  logLevel: LogLevel;
  readonly properties: Record<string, PropertyValue>;
  clusters: Set<string> | null;
  callouts: CalloutTransport | null;
  readonly filterStateFactories = new Set<string>(DEFAULT_FILTER_STATE_FACTORIES);
  readonly foreignFunctions: Map<string, ForeignFunction>;
  readonly throwOnTrap: boolean;
  /** loadPlugin calls in progress (their traps are the PluginLoadError's reason, not thrown) */
  loading = 0;

  private readonly onLog?: (e: LogEntry) => void;
  private readonly recordLogs: boolean;
  private readonly maxLogEntries: number;
  private readonly logEntries: LogEntry[] = [];
  private readonly shared = new Map<string, Map<string, SharedEntry>>();
  private nextCas = 1;
  private readonly posted: (() => void)[] = [];
  private draining = false;

  constructor(opts: ProcessOptions = {}) {
    this.clock = opts.clock ?? new ManualClock();
    this.onLog = opts.onLog;
    this.recordLogs = opts.recordLogs ?? true;
    this.maxLogEntries = opts.maxLogEntries ?? 100_000;
    this.queues = new SharedQueues((f) => this.post(f));
    this.logLevel = opts.logLevel ?? LogLevel.Info;
    this.properties = opts.properties ?? {};
    this.clusters = opts.clusters ? new Set(opts.clusters) : null;
    this.callouts = opts.callouts ?? null;
    this.foreignFunctions = defaultForeignFunctions(this.filterStateFactories);
    this.throwOnTrap = opts.throwOnTrap ?? false;
  }

  // --- logs ---

  emitLog(e: LogEntry): void {
    if (this.recordLogs) {
      // A long-running gateway keeps logging: drop the oldest tenth when full (amortised O(1)).
      if (this.logEntries.length >= this.maxLogEntries) this.logEntries.splice(0, Math.max(1, Math.ceil(this.maxLogEntries / 10)));
      this.logEntries.push(e);
    }
    this.onLog?.(e);
  }

  logs(level?: LogLevelName): LogEntry[] {
    if (level !== undefined && !LOG_LEVEL_NAMES.includes(level)) throw new Error(`Host.logs: unknown level "${level}" (one of ${LOG_LEVEL_NAMES.join(", ")})`);
    return level === undefined ? [...this.logEntries] : this.logEntries.filter((e) => e.level === level);
  }

  clearLogs(): void { this.logEntries.length = 0; }

  // --- shared data (proxy-wasm-cpp-host src/shared_data.cc) ---

  /** The shared data of a vm_id (live map: tests may read and seed it). */
  sharedData(vmId = ""): Map<string, SharedEntry> {
    let m = this.shared.get(vmId);
    if (!m) { m = new Map(); this.shared.set(vmId, m); }
    return m;
  }

  /** SharedData::set: cas 0 writes unconditionally; a stale cas is CasMismatch; each write gets a new cas. */
  setSharedData(vmId: string, key: string, value: Uint8Array, cas = 0): WasmResult {
    const m = this.sharedData(vmId);
    const e = m.get(key);
    if (e && cas !== 0 && cas !== e.cas) return WasmResult.CasMismatch;
    m.set(key, { value, cas: this.takeCas() });
    return WasmResult.Ok;
  }

  private takeCas(): number {
    const c = this.nextCas;
    this.nextCas = (this.nextCas + 1) >>> 0 || 1;
    return c;
  }

  /** Enqueue from outside the VMs (a test, an operator), as another VM would. */
  enqueue(vmId: string, queueName: string, data: string | Uint8Array): WasmResult {
    const token = this.queues.resolve(vmId, queueName);
    if (!token) return WasmResult.NotFound;
    return this.queues.enqueue(token, toBytes(data));
  }

  // --- posted work ---

  /** Work Envoy would post to a worker's dispatcher; runs once no wasm call is in progress. */
  post(f: () => void): void {
    this.posted.push(f);
    if (this.callDepth === 0) this.drainPosted();
  }

  drainPosted(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.posted.length) this.posted.shift()!();
    } finally {
      this.draining = false;
    }
  }
}
