// The local gateway: runs an Envoy v3 bootstrap (the subset in docs/gateway.md) on real sockets,
// with the Wasm filters in envoy-test/host. One Host per gateway, one Plugin per configured wasm
// filter with `workers` VMs each (Envoy: one VM per worker thread).
import type net from "node:net";
import { Host, LogLevel, RealClock } from "../host/index.ts";
import type { LogEntry, Plugin, Stats } from "../host/index.ts";
import { AdminServer } from "./admin.ts";
import { loadBootstrapFile, parseBootstrap } from "./bootstrap.ts";
import { ClusterCallouts } from "./callouts.ts";
import { Cluster } from "./cluster.ts";
import type { BootstrapConfig, SocketAddress, WasmPluginConfig } from "./config-model.ts";
import type { GatewayContext, GatewayLog } from "./context.ts";
import { DrainManager, type DrainStrategy } from "./drain.ts";
import { serverInfo } from "./hot-restart/server-info.ts";
import { Listener } from "./listener.ts";

export { BootstrapError } from "./yaml-reader.ts";
/** Former name of BootstrapError (kept for existing callers). */
export { BootstrapError as ConfigError } from "./yaml-reader.ts";
export { envoyLog, envoyLine, parseLogLevel, wasmLogMessage } from "./log.ts";
export type { EnvoyLogLevel } from "./log.ts";
export { parseBootstrap, loadBootstrapFile } from "./bootstrap.ts";
export type { BootstrapConfig } from "./config-model.ts";

export interface GatewayOptions {
  configPath?: string;
  config?: object;
  /** worker VMs per wasm filter and the number of connection "workers" (default 2) */
  workers?: number;
  log?: GatewayLog;
  /** the Wasm VMs' log lines and traps (the host's LogEntry); envoyLog() prints them as Envoy does */
  onWasmLog?: (e: LogEntry) => void;
  /** Envoy --log-level as a number, 0 trace .. 6 off (default 2, info): what proxy_log lets through
   *  and proxy_get_log_level answers */
  logLevel?: number;
  /** Envoy --drain-time-s (default 600) */
  drainTimeS?: number;
  /** Envoy --drain-strategy (default gradual) */
  drainStrategy?: DrainStrategy;
  /** Hot restart: the parent's listen socket for this listener, if it has one (hot-restart/epoch.ts) */
  inheritListener?: (name: string, address: SocketAddress) => net.Server | undefined;
  /** Envoy --restart-epoch (default 0), --parent-shutdown-time-s (default 900), --base-id (default 0) */
  restartEpoch?: number;
  parentShutdownTimeS?: number;
  baseId?: number;
  /** Start of epoch 0 (ms since the epoch), learnt from the parent on a hot restart */
  originalStartTimeMs?: number;
  /** Runs once the filters are loaded, before the listeners accept (a hot restart child merges
   *  its parent's stats here, so its first connection already sees them) */
  beforeListen?: (gateway: Gateway) => Promise<void>;
}

export class Gateway {
  private closed = false;
  constructor(
    readonly host: Host,
    readonly config: BootstrapConfig,
    private readonly listeners: Listener[],
    private admin: AdminServer | null,
    readonly clusters: Map<string, Cluster>,
    readonly plugins: Map<WasmPluginConfig, Plugin>,
    readonly drain: DrainManager,
  ) {}

  /** @internal set once the admin listener is up */
  attachAdmin(a: AdminServer): void { this.admin = a; }

  /** The stats store the admin interface shows (shared with the Wasm VMs). */
  get stats(): Stats { return this.host.stats; }

  listenerAddress(name: string): SocketAddress {
    const l = this.listeners.find((x) => x.config.name === name);
    if (!l) throw new Error(`gateway: no listener named "${name}" (listeners: ${this.listeners.map((x) => x.config.name).join(", ")})`);
    return l.address();
  }

  adminAddress(): SocketAddress {
    const a = this.admin?.address();
    if (!a) throw new Error("gateway: the bootstrap has no admin section");
    return a;
  }

  /** Each listener's name, address and listen socket (a hot restart passes them on). */
  listenSockets(): { name: string; address: SocketAddress; server: net.Server | null }[] {
    return this.listeners.map((l) => ({ name: l.config.name, address: l.address(), server: l.netServer }));
  }

  /** Open downstream connections over all listeners (Envoy ListenerManager::numConnections). */
  numConnections(): number { return this.listeners.reduce((n, l) => n + l.sockets.size, 0); }

  /** Closes the admin listener (Envoy InstanceImpl::shutdownAdmin, on a hot restart child's request). */
  async shutdownAdmin(): Promise<void> {
    const a = this.admin;
    this.admin = null;
    await a?.close();
  }

  /** Stops every listener (Envoy stopListeners), as /drain_listeners does; inboundOnly leaves
   *  listeners with traffic_direction OUTBOUND running (listener_manager_impl.cc stopListeners,
   *  StopListenersType::InboundOnly). */
  stopListeners(inboundOnly = false): void {
    for (const l of this.listeners) {
      if (l.stopped) continue;
      if (inboundOnly && l.config.trafficDirection === "OUTBOUND") continue;
      l.stop();
      this.stats.counter("listener_manager.listener_stopped").inc();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.drain.close();
    await Promise.all(this.listeners.map((l) => l.close()));
    await this.admin?.close();
    for (const c of this.clusters.values()) c.close();
    for (const p of this.plugins.values()) {
      try { p.shutdown(); } catch { /* not loaded or already failed */ }
    }
  }
}

const defaultLog: GatewayLog = (level, msg) => {
  if (level === "warn" || level === "error") console.error(`[gateway] ${level}: ${msg}`);
};

export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  if (!opts.configPath && !opts.config) throw new Error("startGateway: pass configPath or config");
  const config = opts.configPath ? loadBootstrapFile(opts.configPath) : parseBootstrap(opts.config);
  const workers = opts.workers ?? 2;
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`startGateway: workers must be an integer >= 1, got ${workers}`);
  const log = opts.log ?? defaultLog;
  const clusters = new Map<string, Cluster>();
  const host = new Host({
    clock: new RealClock(),
    callouts: new ClusterCallouts(clusters),
    clusters: config.clusters.map((c) => c.name),
    onLog: opts.onWasmLog,
    logLevel: (opts.logLevel ?? LogLevel.Info) as LogLevel,
  });
  const stats = host.stats;
  const drain = new DrainManager(stats, (opts.drainTimeS ?? 600) * 1000, opts.drainStrategy ?? "gradual");
  for (const c of config.clusters) clusters.set(c.name, new Cluster(c, stats, log));
  const plugins = new Map<WasmPluginConfig, Plugin>();
  const listeners = config.listeners.map((l) => new Listener(l, { stats, clusters, drain, log, plugins } satisfies GatewayContext, workers));
  let admin: AdminServer | null = null;
  const gateway = new Gateway(host, config, listeners, null, clusters, plugins, drain);
  try {
    for (const l of config.listeners) {
      for (const f of l.filters) {
        const list = f.kind === "wasm" ? [{ plugin: f.plugin, kind: "network" as const }]
          : f.kind === "hcm" ? f.hcm.httpFilters.flatMap((h) => (h.kind === "wasm" ? [{ plugin: h.plugin, kind: "http" as const }] : [])) : [];
        for (const { plugin: pc, kind } of list) {
          try {
            plugins.set(pc, await host.loadPlugin({
              wasm: pc.filename, rootId: pc.rootId, vmId: pc.vmId, name: pc.name, configuration: pc.configuration,
              vmConfiguration: pc.vmConfiguration, workers, failOpen: pc.failOpen, kind,
            }));
          } catch (e) {
            throw new Error(`${pc.path}: wasm filter ${pc.name || pc.rootId} (${pc.filename}) failed to load: ${(e as Error).message}`);
          }
        }
      }
    }
    for (const c of clusters.values()) await c.start();
    await opts.beforeListen?.(gateway);
    for (const l of listeners) await l.start(opts.inheritListener?.(l.config.name, l.config.address));
    stats.gauge("listener_manager.total_listeners_active").set(listeners.length);
    // Only listener removal over LDS moves total_listeners_draining (listener_manager_impl.cc
    // drainListener); static listeners never drain this way, so it stays 0 here, as in Envoy.
    stats.gauge("listener_manager.total_listeners_draining").set(0);
    stats.gauge("listener_manager.total_listeners_warming").set(0);
    stats.counter("listener_manager.listener_stopped");
    stats.gauge("listener_manager.workers_started").set(1);
    stats.gauge("server.hot_restart_epoch").set(opts.restartEpoch ?? 0);
    stats.gauge("server.concurrency").set(workers);
    const startedMs = Date.now();
    if (config.admin) {
      admin = new AdminServer({
        stats, statsTags: config.statsTags, clusters, listeners, drain,
        serverInfo: () => serverInfo({ ...opts, workers, drain, startedMs, originalStartTimeMs: opts.originalStartTimeMs ?? startedMs }),
        drainListeners: (graceful, inboundOnly) => {
          // listeners_handler.cc handlerDrainListeners: graceful keeps accepting for the drain
          // time, then stops the listeners; otherwise they stop now. Both start the drain sequence.
          // ?inboundonly stops only listeners not marked OUTBOUND.
          if (graceful) drain.startDrainSequence(() => gateway.stopListeners(inboundOnly));
          else { drain.startDrainSequence(() => {}); gateway.stopListeners(inboundOnly); }
        },
      });
      await admin.start(config.admin);
      gateway.attachAdmin(admin);
    }
  } catch (e) {
    await gateway.close().catch(() => {});
    await admin?.close().catch(() => {});
    throw e;
  }
  return gateway;
}
