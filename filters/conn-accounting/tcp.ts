// Root id `conn_accounting_tcp`: the network filter that counts TCP connections per listener
// and per source address and closes a connection over a cap at once.
//
// Envoy calls proxy_on_new_connection from Context::onNewConnection; proxy_close_stream
// (Downstream) closes the connection with FlushWrite (Context::closeStream); the end of a
// connection reaches the VM as proxy_on_downstream_connection_close (Context::onEvent) and as
// on_done + on_log + on_delete (Context::onCloseTCP), all in
// source/extensions/common/wasm/context.cc. Each of them calls end(), which acts once.
import {
  RootContext, TcpContext, FilterStatus, PeerType, StreamType, closeStream, getPropertyString,
  Counter, Gauge, log, LogLevel,
} from "../../sdk";
import { rejectConfiguration } from "../../sdk/config";
import { TcpConfig, parseTcpConfig } from "./config";
import { acquire, release, ensure, Acquire, lastCountError } from "./counts";
import { listenerCountKey, sourceCountKey, hostOfAddress } from "./names";
import { sharedStore } from "./shared-store";

const HELD_LISTENER: u8 = 1;
const HELD_SOURCE: u8 = 2;
const ADMITTED: u8 = 4;   // cx_active holds one for this connection
const DONE: u8 = 8;

const SOURCE_ADDRESS: string[] = ["source", "address"];

export class TcpAccountingRoot extends RootContext {
  config: TcpConfig = new TcpConfig();
  listenerKey: string = "";
  cxActive: Gauge | null = null;
  cxTotal: Counter | null = null;
  cxRejected: Counter | null = null;

  onConfigure(size: usize): bool {
    const c = parseTcpConfig(this.pluginConfiguration());
    if (c == null) return rejectConfiguration("conn_accounting_tcp");
    const key = listenerCountKey(c.listener);
    if (!ensure(sharedStore, key)) {
      log(LogLevel.Error, "conn_accounting_tcp: " + lastCountError);
      return false;
    }
    this.config = c;
    this.listenerKey = key;
    const p = "wss.tcp." + c.listener + ".";
    this.cxActive = new Gauge(p + "cx_active");
    this.cxTotal = new Counter(p + "cx_total");
    this.cxRejected = new Counter(p + "cx_rejected");
    return true;
  }

  newTcpContext(contextId: u32): TcpContext | null {
    return new TcpAccounting(contextId, this);
  }
}

export class TcpAccounting extends TcpContext {
  flags: u8 = 0;
  sourceKey: string | null = null;

  constructor(contextId: u32, readonly accounting: TcpAccountingRoot) {
    super(contextId, accounting);
  }

  onNewConnection(): FilterStatus {
    const root = this.accounting;
    const c = root.config;
    const got = acquire(sharedStore, root.listenerKey, c.maxPerListener);
    if (got != Acquire.Ok) return this.reject(got);
    this.flags |= HELD_LISTENER;
    if (c.maxPerSource > 0) {
      const address = getPropertyString(SOURCE_ADDRESS);
      if (address != null && address.length > 0) {
        const key = sourceCountKey(c.listener, hostOfAddress(address));
        const s = acquire(sharedStore, key, c.maxPerSource);
        if (s != Acquire.Ok) {
          this.end();
          return this.reject(s);
        }
        this.sourceKey = key;
        this.flags |= HELD_SOURCE;
      }
    }
    this.flags |= ADMITTED;
    (<Gauge>root.cxActive).add(1);
    (<Counter>root.cxTotal).increment(1);
    return FilterStatus.Continue;
  }

  onDownstreamConnectionClose(peer: PeerType): void { this.end(); }
  onDone(): bool { this.end(); return true; }
  onLog(): void { this.end(); }
  onDelete(): void { this.end(); }

  end(): void {
    const held = this.flags;
    if ((held & DONE) != 0) return;
    this.flags = held | DONE;
    const root = this.accounting;
    if ((held & ADMITTED) != 0) (<Gauge>root.cxActive).add(-1);
    if ((held & HELD_LISTENER) != 0 && release(sharedStore, root.listenerKey) < 0) {
      log(LogLevel.Error, "conn_accounting_tcp: " + lastCountError);
    }
    const key = this.sourceKey;
    if ((held & HELD_SOURCE) != 0 && key != null) {
      if (release(sharedStore, key) < 0) log(LogLevel.Error, "conn_accounting_tcp: " + lastCountError);
    }
    this.sourceKey = null;
  }

  private reject(why: Acquire): FilterStatus {
    const root = this.accounting;
    (<Counter>root.cxRejected).increment(1);
    if (why == Acquire.Failed) log(LogLevel.Error, "conn_accounting_tcp: rejecting, " + lastCountError);
    closeStream(StreamType.Downstream);
    return FilterStatus.StopIteration;
  }
}
