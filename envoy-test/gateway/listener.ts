// A static listener: accepts connections, gives each a worker (round robin, like Envoy's exact
// connection balancer spreading connections over worker threads), runs the network filter chain
// (network-filter-chain.ts: Wasm network filters, then the terminal filter)
// and keeps Envoy's listener stats (listener.<address>_<port>.downstream_cx_*, per worker too).
import { readFileSync } from "node:fs";
import net from "node:net";
import type { PropertyValue } from "../host/index.ts";
import type { ListenerConfig } from "./config-model.ts";
import type { Downstream, GatewayContext } from "./context.ts";
import { HttpConnectionManager } from "./hcm.ts";
import { EMPTY, NetworkFilterChain } from "./network-filter-chain.ts";
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
    // Envoy's connection write buffer watermarks (network/connection_impl.cc
    // onWriteBufferHighWatermark / onWriteBufferLowWatermark): high at the buffer limit, low at half.
    const limit = this.config.bufferLimitBytes;
    let aboveHigh = false;
    const onFlushed = (): void => {
      if (aboveHigh && socket.writableLength <= limit / 2) { aboveHigh = false; downstream.watermarks?.onBelowLow(); }
    };
    let readDisables = 0;
    const wasm = this.config.filters.flatMap((f) => (f.kind === "wasm" ? [ctx.plugins.get(f.plugin)!] : []));
    const chain = new NetworkFilterChain({
      write: (d) => {
        socket.write(d, onFlushed);
        if (!aboveHigh && socket.writableLength > limit) { aboveHigh = true; downstream.watermarks?.onAboveHigh(); }
      },
      end: () => { if (!socket.destroyed) socket.end(); },
      get destroyed() { return socket.destroyed; },
    }, wasm, worker, properties, ctx.log);

    const downstream: Downstream = {
      id, worker, properties,
      write: (data) => chain.onWrite(data, false),
      end: () => { if (!chain.empty) chain.onWrite(EMPTY, true); else if (!socket.destroyed) socket.end(); },
      destroy: () => socket.destroy(),
      get destroyed() { return socket.destroyed; },
      batch: (fn) => {
        socket.cork();
        try { fn(); } finally { socket.uncork(); }
      },
      readDisable: (disable) => {
        readDisables += disable ? 1 : -1;
        if (readDisables > 0) socket.pause(); else { readDisables = 0; socket.resume(); }
      },
      bufferLimit: limit,
      watermarks: null,
    };

    socket.on("data", (d: Buffer) => chain.onRead(d, false));
    socket.on("end", () => { chain.remoteClosed = true; chain.onRead(EMPTY, true); });
    socket.on("error", () => { chain.remoteClosed = true; });
    socket.on("close", () => {
      this.sockets.delete(socket);
      for (const p of [this.statPrefix, `${this.statPrefix}worker_${worker}.`]) stats.gauge(p + "downstream_cx_active").sub(1);
      chain.onClose();
    });

    chain.onNewConnection();
    const last = this.config.filters[this.config.filters.length - 1];
    const lastIndex = this.config.filters.length - 1;
    if (last.kind === "hcm") {
      const plugins = last.hcm.httpFilters.flatMap((f) => (f.kind === "wasm" ? [ctx.plugins.get(f.plugin)!] : []));
      chain.setTerminal(new HttpConnectionManager(downstream, last.hcm, this.routeTables.get(lastIndex)!, ctx, plugins));
    } else if (last.kind === "tcp_proxy") {
      chain.setTerminal(new TcpProxy(downstream, last.tcp, ctx));
    }
  }
}
