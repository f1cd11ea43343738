// One epoch of a hot-restarted local gateway: a process the restarter (restarter.ts) forks with an
// IPC channel. It plays both halves of Envoy's hot restart:
// - as the child (epoch > 0 with a live parent), in Envoy's order (source/server/server.cc
//   InstanceImpl::initialize and startWorkers): ask the parent to shut its admin down and learn
//   the first epoch's start time (sendParentAdminShutdownRequest), take each listen socket the
//   parent has for the same address (HotRestartingChild::duplicateParentListenSocket), start,
//   merge the parent's stats (updateServerStats -> mergeParentStatsIfAny), ask the parent to
//   drain its listeners (drainParentListeners), and terminate it at the parent shutdown time
//   (DrainManagerImpl::startParentShutdownSequence); stats are merged again at every
//   stats_flush_interval while the parent lives;
// - as the parent (source/server/hot_restarting_parent.cc onSocketEvent): answer those requests.
//   Shutting the admin down also stops its own stats merging and terminates its own parent, if
//   still alive (InstanceImpl::shutdownAdmin), so at most two epochs run at once.
// Envoy exchanges these messages over Unix datagram sockets named after --base-id and passes file
// descriptors with SCM_RIGHTS; Node passes a listening handle only over a child_process IPC
// channel, so the restarter relays between neighbouring epochs (restarter.ts).
import type net from "node:net";
import { loadBootstrapFile, startGateway, type Gateway } from "../index.ts";
import type { DrainStrategy } from "../drain.ts";
import type { SocketAddress } from "../config-model.ts";
import { StatExporter, StatMerger, type ParentStats } from "./stat-merger.ts";
import type { EpochOptions, HotRestartMessage, Peer } from "./protocol.ts";

const send = (m: HotRestartMessage, handle?: net.Server | net.Socket): void => {
  if (process.connected) process.send!(m, handle as net.Server);
};

function log(msg: string): void { process.stderr.write(`[epoch ${opts.epoch}] ${msg}\n`); }

const opts: EpochOptions = JSON.parse(process.env.PROXY_WASM_AS_EPOCH ?? "null");
if (!opts) throw new Error("hot-restart/epoch.ts: run by the hot restarter (PROXY_WASM_AS_EPOCH is not set)");

let gateway: Gateway | null = null;
let nextId = 1;
const pending = new Map<number, (m: HotRestartMessage, handle?: unknown) => void>();
/** Connections accepted on an inherited socket before its listener started, by listener name. */
const early = new Map<string, net.Socket[]>();
const inherited = new Map<string, net.Server>();
let parentAlive = opts.parentAlive;
let merger: StatMerger | null = null;
const exporter: { e: StatExporter | null } = { e: null };
let flushTimer: NodeJS.Timeout | null = null;
let exiting = false;

function request(kind: HotRestartMessage["kind"], body: Partial<HotRestartMessage> = {}): Promise<{ m: HotRestartMessage; handle?: unknown }> {
  const id = nextId++;
  return new Promise((resolve) => {
    pending.set(id, (m, handle) => resolve({ m, handle }));
    send({ ...body, hr: "to", peer: "parent", kind, id } as HotRestartMessage);
  });
}

function tell(peer: Peer, kind: HotRestartMessage["kind"], body: Partial<HotRestartMessage> = {}, handle?: net.Server): void {
  send({ ...body, hr: "to", peer, kind } as HotRestartMessage, handle);
}

const sameAddress = (a: SocketAddress, b: SocketAddress) => a.address === b.address && a.port === b.port;

process.on("message", (m: HotRestartMessage, handle?: net.Server | net.Socket) => {
  if (!m || typeof m !== "object" || !("hr" in m)) return;
  if (m.hr === "reply") {
    const done = pending.get(m.id!);
    pending.delete(m.id!);
    done?.(m, handle);
    return;
  }
  if (m.hr === "stray") {
    // Accepted by the restarter while it passed the socket on: ours now.
    const s = handle as net.Socket;
    const server = inherited.get(m.name!);
    if (gateway && server) server.emit("connection", s);
    else early.set(m.name!, [...(early.get(m.name!) ?? []), s]);
    return;
  }
  if (m.hr === "parent-gone") { parentGone(); return; }
  if (m.hr === "from" && m.peer === "child") void fromChild(m);
});

async function fromChild(m: HotRestartMessage): Promise<void> {
  const reply = (body: Partial<HotRestartMessage>, handle?: net.Server) => send({ ...body, hr: "reply", peer: "child", kind: m.kind, id: m.id } as HotRestartMessage, handle);
  const gw = gateway;
  switch (m.kind) {
    case "shutdown-admin": {
      log("shutting down admin due to child startup");
      if (flushTimer) clearInterval(flushTimer);
      flushTimer = null;
      await gw?.shutdownAdmin();
      // A parent with a child terminates its own parent now (InstanceImpl::shutdownAdmin).
      terminateParent();
      reply({ originalStartTimeMs: opts.originalStartTimeMs });
      return;
    }
    case "pass-listen-socket": {
      const want = m.address!;
      const found = gw?.listenSockets().find((l) => l.server?.listening && (m.configuredPort === 0 ? l.name === m.name : sameAddress(l.address, want)));
      reply({ found: Boolean(found), name: m.name }, found?.server ?? undefined);
      return;
    }
    case "stats": {
      reply({ stats: gw && exporter.e ? exporter.e.export(gw.numConnections()) : undefined });
      return;
    }
    case "drain-listeners": {
      // InstanceImpl::drainListeners: stop every listener, start the drain sequence.
      log("closing and draining listeners");
      if (gw) {
        gw.stopListeners();
        gw.drain.startDrainSequence(() => {});
      }
      return;
    }
    case "terminate": {
      log("shutting down due to child request");
      await shutdown(0);
      return;
    }
  }
}

function terminateParent(): void {
  if (!parentAlive) return;
  tell("parent", "terminate");
  parentGone();
}

/** The parent is gone or terminated: its gauge contributions go (StatMerger::~StatMerger). */
function parentGone(): void {
  if (!parentAlive && !merger) return;
  parentAlive = false;
  merger?.clear();
  merger = null;
  if (gateway) {
    gateway.stats.gauge("server.parent_connections").set(0);
    gateway.stats.gauge("server.total_connections").set(gateway.numConnections());
  }
}

async function mergeParentStats(): Promise<void> {
  if (!parentAlive || !gateway || !merger) return;
  const { m } = await request("stats");
  const p = m.stats as ParentStats | undefined;
  if (!p || !parentAlive || !merger || !gateway) return;
  merger.merge(p);
  gateway.stats.gauge("server.parent_connections").set(p.numConnections);
  gateway.stats.gauge("server.total_connections").set(gateway.numConnections() + p.numConnections);
}

async function shutdown(code: number): Promise<void> {
  if (exiting) return;
  exiting = true;
  if (flushTimer) clearInterval(flushTimer);
  try { await gateway?.close(); } catch (e) { log(`close: ${(e as Error).message}`); }
  // Let the IPC channel drain, then go.
  setImmediate(() => process.exit(code));
}

process.once("SIGTERM", () => void shutdown(0));
process.once("SIGINT", () => void shutdown(0));
// Envoy ignores SIGHUP (server.cc RunHelper: "caught and eating SIGHUP"): only the restarter acts on it.
process.on("SIGHUP", () => log("caught and eating SIGHUP; the hot restarter starts the next epoch"));
// Without the restarter no hot restart can reach this epoch, and nothing would stop it.
process.once("disconnect", () => { log("the hot restarter is gone: shutting down"); void shutdown(0); });

async function main(): Promise<void> {
  const config = loadBootstrapFile(opts.configPath);
  let originalStartTimeMs = Date.now();
  if (parentAlive) {
    const { m } = await request("shutdown-admin");
    if (typeof m.originalStartTimeMs === "number") originalStartTimeMs = m.originalStartTimeMs;
    for (const l of config.listeners) {
      const { m: r, handle } = await request("pass-listen-socket", { name: l.name, address: l.address, configuredPort: l.address.port });
      if (!r.found || !handle) continue;
      const server = handle as net.Server;
      // Connections accepted before the listener runs wait, unread, in `early`.
      (server as net.Server & { pauseOnConnect: boolean }).pauseOnConnect = true;
      const hold = (s: net.Socket) => early.set(l.name, [...(early.get(l.name) ?? []), s]);
      server.on("connection", hold);
      inherited.set(l.name, server);
      (server as net.Server & { hold?: typeof hold }).hold = hold;
    }
  }
  opts.originalStartTimeMs = originalStartTimeMs;
  gateway = await startGateway({
    configPath: opts.configPath,
    drainTimeS: opts.drainTimeS,
    drainStrategy: opts.drainStrategy as DrainStrategy,
    restartEpoch: opts.epoch,
    parentShutdownTimeS: opts.parentShutdownTimeS,
    baseId: opts.baseId,
    originalStartTimeMs,
    // Envoy merges right after its workers start (server.cc startWorkers -> updateServerStats),
    // when they may already accept; merging before the listeners accept closes that window.
    beforeListen: async (gw) => {
      gateway = gw;
      if (!parentAlive) return;
      merger = new StatMerger(gw.stats);
      await mergeParentStats();
    },
    inheritListener: (name) => {
      const s = inherited.get(name) as (net.Server & { hold?: (s: net.Socket) => void }) | undefined;
      if (s?.hold) s.off("connection", s.hold);
      return s;
    },
  });
  exporter.e = new StatExporter(gateway.stats);
  for (const [name, sockets] of early) {
    const server = inherited.get(name);
    for (const s of sockets) server?.emit("connection", s);
  }
  early.clear();
  gateway.stats.gauge("server.parent_connections").set(0);
  gateway.stats.gauge("server.total_connections").set(gateway.numConnections());
  if (parentAlive) {
    await mergeParentStats();
    tell("parent", "drain-listeners");
    flushTimer = setInterval(() => { void mergeParentStats(); }, config.statsFlushIntervalMs);
    flushTimer.unref();
    const t = setTimeout(() => { log("terminating parent at the parent shutdown time"); terminateParent(); }, opts.parentShutdownTimeS * 1000);
    t.unref();
  }
  const listeners = gateway.listenSockets().map((l) => `${l.name} ${l.address.address}:${l.address.port}`);
  let admin = "";
  try { const a = gateway.adminAddress(); admin = `${a.address}:${a.port}`; } catch { /* no admin */ }
  send({ hr: "started", epoch: opts.epoch, pid: process.pid, listeners, admin } as HotRestartMessage);
}

main().catch((e) => {
  log(`failed to start: ${(e as Error).message}`);
  send({ hr: "failed", epoch: opts.epoch, error: (e as Error).message } as HotRestartMessage);
  void shutdown(1);
});
