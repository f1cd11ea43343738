// Host: one "Envoy process". Owns the clock, the stats store, shared data and queues (per vm_id),
// the foreign function registry and pending callouts.
import type { Clock } from "./clock.ts";
import { ManualClock } from "./clock.ts";
import { Stats } from "./stats.ts";
import { LogLevel } from "./abi.ts";
import type { CalloutTransport, ForeignFunction, HeaderList, LogEntry, LogLevelName, PluginOptions, PropertyValue } from "./types.ts";
import { Plugin } from "./plugin.ts";

export interface HostOptions {
  clock?: Clock;
  logLevel?: LogLevel;
  onLog?: (e: LogEntry) => void;
  callouts?: CalloutTransport;
  properties?: Record<string, PropertyValue>;
  /** cluster names callouts may target; absent: any name is accepted */
  clusters?: string[];
}

export interface PendingCallout {
  kind: "http" | "grpc" | "grpc-stream";
  token: number;
  cluster: string;
  headers: HeaderList;
  body: Uint8Array;
  trailers: HeaderList;
  timeoutMs: number;
  service?: string; method?: string;
  respond(r: { headers?: HeaderList; body?: Uint8Array | string; trailers?: HeaderList; status?: number }): void;
  fail(reason?: string): void;
}

export class Host {
  readonly stats: Stats;
  readonly clock: Clock;
  readonly foreignFunctions = new Map<string, ForeignFunction>();
  callouts: CalloutTransport | null;
  logLevel: LogLevel;
  readonly properties: Record<string, PropertyValue>;
  readonly plugins: Plugin[] = [];

  constructor(opts: HostOptions = {}) {
    this.clock = opts.clock ?? new ManualClock();
    this.stats = new Stats();
    this.callouts = opts.callouts ?? null;
    this.logLevel = opts.logLevel ?? LogLevel.Info;
    this.properties = opts.properties ?? {};
  }
  loadPlugin(_opts: PluginOptions): Promise<Plugin> { throw new Error("Host.loadPlugin: not implemented yet"); }
  logs(_level?: LogLevelName): LogEntry[] { throw new Error("Host.logs: not implemented yet"); }
  sharedData(_vmId = ""): Map<string, { value: Uint8Array; cas: number }> { throw new Error("not implemented yet"); }
  pendingCallouts(): PendingCallout[] { throw new Error("not implemented yet"); }
  advance(_ms: number): void { throw new Error("not implemented yet"); }
}
