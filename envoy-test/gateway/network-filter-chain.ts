// The network filters of one connection, as Envoy's Network::FilterManagerImpl
// (source/common/network/filter_manager_impl.cc onRead / onWrite): Wasm network filters see the
// bytes from the client first, in config order, then the terminal filter (HCM or tcp_proxy);
// bytes toward the client pass them in reverse. A filter that returns StopIteration holds what it
// was given and sees it again, whole, with the next bytes. proxy_close_stream(Downstream) closes
// the connection after its writes are flushed (FlushWrite).
import { FilterStatus, PeerType } from "../host/index.ts";
import type { Plugin, PropertyValue, TcpConnection } from "../host/index.ts";
import type { GatewayLog, TerminalFilter } from "./context.ts";

const EMPTY = new Uint8Array(0);
const concat = (a: Uint8Array | null, b: Uint8Array): Uint8Array => (a && a.length ? Buffer.concat([a, b]) : b);

/** The socket side the chain writes to. */
export interface ConnectionWriter {
  write(data: Uint8Array): void;
  /** half-close after pending writes */
  end(): void;
  readonly destroyed: boolean;
}

export class NetworkFilterChain {
  private readonly filters: { conn: TcpConnection; readHeld: Uint8Array | null; writeHeld: Uint8Array | null }[] = [];
  private terminal: TerminalFilter | null = null;
  private closedByFilter = false;
  /** the client closed or reset (PeerType.Remote for proxy_on_downstream_close) */
  remoteClosed = false;

  constructor(private readonly out: ConnectionWriter, plugins: Plugin[], worker: number,
    properties: Record<string, PropertyValue>, private readonly log: GatewayLog) {
    for (const plugin of plugins) {
      const conn = plugin.createTcpConnection({
        worker: worker % Math.max(1, plugin.workers.length || 1), properties,
        events: { onClose: () => this.closeFromFilter() },
      });
      this.filters.push({ conn, readHeld: null, writeHeld: null });
    }
  }

  get empty(): boolean { return this.filters.length === 0; }

  setTerminal(t: TerminalFilter): void { this.terminal = t; }

  /** proxy_on_new_connection on each filter; one that closes the connection stops the rest. */
  onNewConnection(): void {
    for (const n of this.filters) {
      n.conn.callOnNewConnection();
      if (n.conn.closed) { this.closeFromFilter(); break; }
    }
  }

  private closeFromFilter(): void {
    if (this.closedByFilter) return;
    this.closedByFilter = true;
    this.out.end();
  }

  /** Bytes (or the FIN) from the client: read filters in order, then the terminal filter. */
  onRead(data: Uint8Array, end: boolean): void {
    let d = data;
    for (const n of this.filters) {
      const input = concat(n.readHeld, d);
      n.readHeld = null;
      const st = n.conn.callOnDownstreamData(input, end);
      if (n.conn.closed) { this.closeFromFilter(); return; }
      if (st === FilterStatus.StopIteration) { n.readHeld = n.conn.downstreamData; return; }
      d = n.conn.downstreamData;
    }
    const t = this.terminal;
    if (!t) return;
    if (d.length) t.onData(Buffer.from(d.buffer, d.byteOffset, d.length));
    if (end) t.onEnd();
  }

  /** Bytes toward the client: write filters in reverse order, then the socket. */
  onWrite(data: Uint8Array, end: boolean): void {
    let d = data;
    for (let i = this.filters.length - 1; i >= 0; i--) {
      const n = this.filters[i];
      const input = concat(n.writeHeld, d);
      n.writeHeld = null;
      const st = n.conn.callOnUpstreamData(input, end);
      if (n.conn.closed) this.closeFromFilter();
      if (st === FilterStatus.StopIteration) { n.writeHeld = n.conn.upstreamData; return; }
      d = n.conn.upstreamData;
    }
    if (this.out.destroyed) return;
    if (d.length) this.out.write(d);
    if (end) this.out.end();
  }

  /** The connection is gone: the terminal filter first, then each filter's close and delete. */
  onClose(): void {
    this.terminal?.onClose();
    for (const n of this.filters) {
      try {
        n.conn.callOnDownstreamClose(this.remoteClosed ? PeerType.Remote : PeerType.Local);
        n.conn.complete();
      } catch (e) { this.log("error", `network wasm filter close: ${(e as Error).message}`); }
    }
  }
}

export { EMPTY };
