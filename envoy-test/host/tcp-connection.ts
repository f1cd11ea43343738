// TCP connections driven the way Envoy's wasm network filter drives them (source/extensions/common/
// wasm/context.cc onNewConnection, onData, onWrite, onEvent, onCloseTCP, failStream; proxy-wasm-cpp-host
// src/context.cc CHECK_FAIL_NET).
import { BufferType, FilterStatus, PeerType, StreamType, WasmResult } from "./abi.ts";
import { EMPTY } from "./codec.ts";
import { StreamContext } from "./stream-context.ts";

export class TcpConnection extends StreamContext {
  readonly kind = "tcp" as const;
  downstreamData: Uint8Array = EMPTY;
  upstreamData: Uint8Array = EMPTY;
  /** proxy_close_stream(Downstream/Upstream) or a fail-closed VM closed the connection */
  closed = false;
  closeDetails = "";
  readonly continued: StreamType[] = [];
  private downLive = false;
  private upLive = false;
  private downstreamClosed = false;
  private upstreamClosed = false;

  callOnNewConnection(): FilterStatus {
    if (this.mode === "skip") return FilterStatus.Continue;
    this.onCreate();
    return this.netCall("proxy_on_new_connection", -1, false);
  }

  callOnDownstreamData(chunk: Uint8Array, endOfStream = false): FilterStatus {
    this.downstreamData = chunk;
    if (this.mode === "skip" || !this.created) return FilterStatus.Continue;
    this.downLive = true;
    const r = this.netCall("proxy_on_downstream_data", chunk.length, endOfStream);
    if (r === FilterStatus.Continue) this.downLive = false;
    return r;
  }

  callOnUpstreamData(chunk: Uint8Array, endOfStream = false): FilterStatus {
    this.upstreamData = chunk;
    if (this.mode === "skip" || !this.created) return FilterStatus.Continue;
    this.upLive = true;
    const r = this.netCall("proxy_on_upstream_data", chunk.length, endOfStream);
    if (r === FilterStatus.Continue) this.upLive = false;
    // Envoy's onWrite reports the upstream close when it sees end_stream.
    if (endOfStream) this.callOnUpstreamClose(PeerType.Unknown);
    return r;
  }

  callOnDownstreamClose(peer: PeerType = PeerType.Remote): void {
    if (this.mode === "skip" || !this.created) return;
    const f = this.vm.fns.proxy_on_downstream_connection_close;
    if (!this.isFailed && f && !this.destroyed) this.vm.call(this, "proxy_on_downstream_connection_close", f, this.contextId, peer);
    this.downstreamClosed = true;
    this.finishContext(false);
  }

  callOnUpstreamClose(peer: PeerType = PeerType.Remote): void {
    if (this.mode === "skip" || !this.created || this.upstreamClosed) return;
    const f = this.vm.fns.proxy_on_upstream_connection_close;
    if (!this.isFailed && f && !this.destroyed) this.vm.call(this, "proxy_on_upstream_connection_close", f, this.contextId, peer);
    this.upstreamClosed = true;
    if (this.downstreamClosed) this.finishContext(false);
  }

  /** onCloseTCP: proxy_on_done, proxy_on_log, proxy_on_delete. */
  complete(): void {
    if (this.mode === "skip" || this.destroyed) { this.destroyed = true; return; }
    if (!this.created) { this.destroyed = true; return; }
    this.finishContext(false);
  }

  private netCall(name: string, size: number, eos: boolean): FilterStatus {
    if (this.checkFailNet()) return this.plugin.failOpen ? FilterStatus.Continue : FilterStatus.StopIteration;
    const f = this.vm.fns[name];
    if (!f) return FilterStatus.Continue;
    const res = size < 0 ? this.vm.call(this, name, f, this.contextId) : this.vm.call(this, name, f, this.contextId, size, eos ? 1 : 0);
    if (this.checkFailNet()) return this.plugin.failOpen ? FilterStatus.Continue : FilterStatus.StopIteration;
    return (res as number) === 0 ? FilterStatus.Continue : FilterStatus.StopIteration;
  }

  /** CHECK_FAIL_NET: fail-closed closes the connection (Envoy failStream, FlushWrite). */
  private checkFailNet(): boolean {
    if (!this.isFailed) return false;
    if (this.plugin.failOpen) return true;
    if (!this.streamFailed) {
      this.streamFailed = true;
      this.closed = true;
      this.closeDetails = "wasm_fail_stream";
      this.events.onClose?.(StreamType.Downstream);
    }
    return true;
  }

  override buffer(type: BufferType): Uint8Array | null {
    if (type === BufferType.DownstreamData) return this.downLive ? this.downstreamData : EMPTY;
    if (type === BufferType.UpstreamData) return this.upLive ? this.upstreamData : EMPTY;
    return super.buffer(type);
  }

  override setBuffer(type: BufferType, bytes: Uint8Array): WasmResult {
    if (type === BufferType.DownstreamData && this.downLive) { this.downstreamData = bytes; return WasmResult.Ok; }
    if (type === BufferType.UpstreamData && this.upLive) { this.upstreamData = bytes; return WasmResult.Ok; }
    return WasmResult.BadArgument;
  }

  override continueStream(type: StreamType): WasmResult {
    if (type === StreamType.Upstream) return WasmResult.Unimplemented;
    if (type > StreamType.Upstream) return WasmResult.BadArgument;
    if (type === StreamType.Downstream) {
      this.vm.afterCall(() => { this.continued.push(type); this.events.onContinue?.(type); });
    }
    return WasmResult.Ok;
  }

  override closeStream(type: StreamType): WasmResult {
    if (type > StreamType.Upstream) return WasmResult.BadArgument;
    if (type === StreamType.Downstream || type === StreamType.Upstream) {
      this.vm.afterCall(() => {
        this.closed = true;
        this.closeDetails = type === StreamType.Downstream ? "wasm_downstream_close" : "wasm_upstream_close";
        this.events.onClose?.(type);
      });
    }
    return WasmResult.Ok;
  }
}
