// What listeners, connection managers and streams share within one gateway process.
import type { Plugin, PropertyValue, Stats } from "../host/index.ts";
import type { Cluster } from "./cluster.ts";
import type { WasmPluginConfig } from "./config-model.ts";
import type { DrainManager } from "./drain.ts";

export type GatewayLog = (level: "debug" | "info" | "warn" | "error", msg: string) => void;

export interface GatewayContext {
  stats: Stats;
  clusters: Map<string, Cluster>;
  drain: DrainManager;
  log: GatewayLog;
  /** one loaded Plugin per configured wasm filter */
  plugins: Map<WasmPluginConfig, Plugin>;
}

/** The downstream side of a connection, as the terminal filter sees it (writes pass the network filters). */
export interface Downstream {
  readonly id: number;
  readonly worker: number;
  readonly properties: Record<string, PropertyValue>;
  write(data: Uint8Array): void;
  /** half-close toward the client after pending writes */
  end(): void;
  /** drop the connection (a stream reset on HTTP/1.1) */
  destroy(): void;
  readonly destroyed: boolean;
  /**
   * Runs `fn` with the socket's writes held and sends them as one write after it (net.Socket
   * cork/uncork): a response head and the body bytes read with it leave in one segment.
   */
  batch(fn: () => void): void;
  /**
   * Stops (true) or restarts (false) reading from the client; counted, as Envoy's
   * Connection::readDisable is: reading resumes when every disable was undone.
   */
  readDisable(disable: boolean): void;
  /** per_connection_buffer_limit_bytes of the listener */
  readonly bufferLimit: number;
  /**
   * Write-buffer watermarks (Envoy's WatermarkBuffer: high = the limit, low = half): called when the
   * bytes queued toward the client rise above the limit, and again when they fall to half of it.
   */
  watermarks: { onAboveHigh(): void; onBelowLow(): void } | null;
}

/** A terminal network filter (HCM or tcp_proxy) on one connection. */
export interface TerminalFilter {
  onData(data: Buffer): void;
  /** the client half-closed */
  onEnd(): void;
  /** the connection is gone (closed or reset) */
  onClose(): void;
}
