// A static listener: accepts connections, gives each a worker (round robin, like Envoy's exact
// connection balancer spreading connections over worker threads), runs the network filter chain
// (Wasm network filters see the raw bytes first, in config order, then the terminal filter; writes
// toward the client pass them in reverse: source/common/network/filter_manager_impl.cc onRead/onWrite)
// and keeps Envoy's listener stats (listener.<address>_<port>.downstream_cx_*, per worker too).
import { readFileSync } from "node:fs";
import net from "node:net";
import { FilterStatus, PeerType } from "../host/index.ts";
import type { PropertyValue, TcpConnection } from "../host/index.ts";
import type { ListenerConfig } from "./config-model.ts";
import type { Downstream, GatewayContext, TerminalFilter } from "./context.ts";
import { HttpConnectionManager } from "./hcm.ts";
import { RouteTable } from "./route-table.ts";
import { TcpProxy } from "./tcp-proxy.ts";

let connectionIds = 0;

/**
 * Envoy's listen queue when the listener sets no tcp_backlog_size: net.core.somaxconn on Linux,
 * 128 elsewhere (envoy/common/platform.h ENVOY_TCP_BACKLOG_SIZE; listener.proto tcp_backlog_size).
 * Node's own default (511) overflows when a burst of upgrades meets a busy event loop: the
 * connections beyond it wait for the client's SYN retransmission, 1 s and then 3 s later.
 */
export function defaultBacklog(): number {
  try { return Number(readFileSync("/proc/sys/net/core/somaxconn", "utf8").trim()) || 128; } catch { return 128; }
}
const EMPTY = new Uint8Array(0);
const concat = (a: Uint8Array | null, b: Uint8Array): Uint8Array => (a && a.length ? Buffer.concat([a, b]) : b);

export class Listener {
  private server: net.Server | null = null;
  private nextWorker = 0;
  readonly sockets = new Set<net.Socket>();
  private statPrefix = "";
  private readonly routeTables = new Map<number, RouteTable>();
  stopped = false;

  constructor(readonly config: ListenerConfig, private readonly ctx: GatewayContext, readonly workers: number) {
    config.filters.forEach((f, i) => { if (f.kind === "hcm") this.routeTables.set(i, new RouteTable(f.hcm.routeTable)); });
  }

  /** Starts accepting; with `inherited` (a hot restart's listen socket from the parent process,
   *  created paused-on-connect: hot-restart/epoch.ts) on that socket instead of binding. */
  async start(inherited?: net.Server): Promise<void> {
    if (inherited) {
      this.server = inherited;
      inherited.on("connection", (s: net.Socket) => this.adopt(s));
      const a = this.address();
      this.statPrefix = `listener.${a.address}_${a.port}.`;
      return;
    }
    const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (s) => this.accept(s));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", (e: NodeJS.ErrnoException) => reject(new Error(`listener ${this.config.name}: cannot listen on ${this.config.address.address}:${this.config.address.port}: ${e.message}`)));
      server.listen(this.config.address.port, this.config.address.address, this.config.backlog ?? defaultBacklog(), () => resolve());
    });
    const a = this.address();
    this.statPrefix = `listener.${a.address}_${a.port}.`;
  }

  address(): { address: string; port: number } {
    const a = this.server?.address();
    if (a && typeof a === "object") return { address: a.address, port: a.port };
    return { address: this.config.address.address, port: this.config.address.port };
  }

  /** The listen socket, for a hot restart to pass to the next process. */
  get netServer(): net.Server | null { return this.server; }

  /** A connection accepted on a socket this listener did not create (an inherited listen
   *  socket, or one accepted while the socket was being passed): same options as ours. */
  adopt(socket: net.Socket): void {
    socket.allowHalfOpen = true;
    socket.setNoDelay(true);
    this.accept(socket);
    socket.resume();
  }

  /** Stops accepting (Envoy stopListeners: the socket closes; open connections stay). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.server?.close();
  }

  async close(): Promise<void> {
    this.stop();
    for (const s of this.sockets) s.destroy();
  }

  private accept(socket: net.Socket): void {
    const ctx = this.ctx;
    const worker = this.nextWorker++ % this.workers;
    this.sockets.add(socket);
    const stats = ctx.stats;
    for (const p of [this.statPrefix, `${this.statPrefix}worker_${worker}.`]) {
      stats.counter(p + "downstream_cx_total").inc();
      stats.gauge(p + "downstream_cx_active").add(1);
    }
    const id = ++connectionIds;
    const properties: Record<string, PropertyValue> = {
      "source.address": `${socket.remoteAddress}:${socket.remotePort}`,
      "source.port": socket.remotePort ?? 0,
      "destination.address": `${socket.localAddress}:${socket.localPort}`,
      "destination.port": socket.localPort ?? 0,
      "connection.id": id,
    };
    const network: { conn: TcpConnection; readHeld: Uint8Array | null; writeHeld: Uint8Array | null }[] = [];
    let terminal: TerminalFilter | null = null;
    let closedByFilter = false;
    let remoteClosed = false;

    const closeFromFilter = (): void => {
      // proxy_close_stream(Downstream): close after flushing writes (FlushWrite).
      if (closedByFilter) return;
      closedByFilter = true;
      socket.end();
    };

    const writeOut = (data: Uint8Array, end: boolean): void => {
      let d = data;
      for (let i = network.length - 1; i >= 0; i--) {
        const n = network[i];
        const input = concat(n.writeHeld, d);
        n.writeHeld = null;
        const st = n.conn.callOnUpstreamData(input, end);
        if (n.conn.closed) closeFromFilter();
        if (st === FilterStatus.StopIteration) { n.writeHeld = n.conn.upstreamData; return; }
        d = n.conn.upstreamData;
      }
      if (socket.destroyed) return;
      if (d.length) socket.write(d);
      if (end) socket.end();
    };

    const downstream: Downstream = {
      id, worker, properties,
      write: (data) => writeOut(data, false),
      end: () => { if (network.length) writeOut(EMPTY, true); else if (!socket.destroyed) socket.end(); },
      destroy: () => socket.destroy(),
      get destroyed() { return socket.destroyed; },
      batch: (fn) => {
        socket.cork();
        try { fn(); } finally { socket.uncork(); }
      },
    };

    for (const f of this.config.filters) {
      if (f.kind !== "wasm") continue;
      const plugin = ctx.plugins.get(f.plugin)!;
      const conn = plugin.createTcpConnection({
        worker: worker % Math.max(1, plugin.workers.length || 1), properties,
        events: { onClose: () => closeFromFilter() },
      });
      network.push({ conn, readHeld: null, writeHeld: null });
    }

    const readIn = (data: Uint8Array, end: boolean): void => {
      let d = data;
      for (const n of network) {
        const input = concat(n.readHeld, d);
        n.readHeld = null;
        const st = n.conn.callOnDownstreamData(input, end);
        if (n.conn.closed) { closeFromFilter(); return; }
        if (st === FilterStatus.StopIteration) { n.readHeld = n.conn.downstreamData; return; }
        d = n.conn.downstreamData;
      }
      if (!terminal) return;
      if (d.length) terminal.onData(Buffer.from(d.buffer, d.byteOffset, d.length));
      if (end) terminal.onEnd();
    };

    socket.on("data", (d: Buffer) => readIn(d, false));
    socket.on("end", () => { remoteClosed = true; readIn(EMPTY, true); });
    socket.on("error", () => { remoteClosed = true; });
    socket.on("close", () => {
      this.sockets.delete(socket);
      for (const p of [this.statPrefix, `${this.statPrefix}worker_${worker}.`]) stats.gauge(p + "downstream_cx_active").sub(1);
      terminal?.onClose();
      for (const n of network) {
        try {
          n.conn.callOnDownstreamClose(remoteClosed ? PeerType.Remote : PeerType.Local);
          n.conn.complete();
        } catch (e) { ctx.log("error", `network wasm filter close: ${(e as Error).message}`); }
      }
    });

    for (const n of network) {
      const st = n.conn.callOnNewConnection();
      if (n.conn.closed || st === FilterStatus.StopIteration && n.conn.closed) { closeFromFilter(); break; }
    }
    const last = this.config.filters[this.config.filters.length - 1];
    const lastIndex = this.config.filters.length - 1;
    if (last.kind === "hcm") {
      const plugins = last.hcm.httpFilters.flatMap((f) => (f.kind === "wasm" ? [ctx.plugins.get(f.plugin)!] : []));
      terminal = new HttpConnectionManager(downstream, last.hcm, this.routeTables.get(lastIndex)!, ctx, plugins);
    } else if (last.kind === "tcp_proxy") {
      terminal = new TcpProxy(downstream, last.tcp, ctx);
    }
  }
}
