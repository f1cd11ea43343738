// One HTTP stream. Control requests are answered here; a websocket (101 response) gets a
// FrameWatcher over its server->client bytes (proxy_on_response_body after the upgrade: Envoy
// docs arch_overview/http/upgrades, ENVOY-NOTES.md) and receives the signal at its moment.
import {
  HttpContext, FilterHeadersStatus, FilterDataStatus, requestHeaders, responseHeaders, responseBody,
  freeBytes, getProperty, rawLength, asciiLower,
} from "../../sdk";
import { currentMs } from "./clock";
import { isControlPath } from "./control";
import { answerControl } from "./control-route";
import { DrainRoot } from "./root";
import { Signal } from "./signal";
import { DrainEntry } from "./state";
import { Edit, FrameWatcher, Injection } from "./watcher";

export class DrainStream extends HttpContext {
  service: string = "";
  upgrade: bool = false;
  watcher: FrameWatcher | null = null;
  connectionId: u64 = 0;
  signal: Signal | null = null;
  signalled: bool = false;
  private drainVersion: u32 = 0;
  private drain: DrainEntry | null = null;

  constructor(contextId: u32, readonly drainRoot: DrainRoot) { super(contextId, drainRoot); }

  onRequestHeaders(numHeaders: u32, endOfStream: bool): FilterHeadersStatus {
    const root = this.drainRoot;
    const control = root.config.control;
    if (control != null) {
      const path = requestHeaders.get(":path");
      if (path != null && isControlPath(path!, control.pathPrefix)) {
        const method = requestHeaders.get(":method");
        answerControl(control, method == null ? "" : method!, path!, requestHeaders.get(control.tokenHeader), root.config.timing, root.cache);
        return FilterHeadersStatus.StopIteration;
      }
    }
    const upgrade = requestHeaders.get("upgrade");
    if (upgrade != null && asciiLower(upgrade!) == "websocket") {
      this.upgrade = true;
      const service = requestHeaders.get(root.config.serviceHeader);
      this.service = service == null ? "" : service!;
    }
    return FilterHeadersStatus.Continue;
  }

  onResponseHeaders(numHeaders: u32, endOfStream: bool): FilterHeadersStatus {
    if (!this.upgrade || endOfStream || responseHeaders.get(":status") != "101") return FilterHeadersStatus.Continue;
    const ext = responseHeaders.get("sec-websocket-extensions");
    // RSV1 is legal only when permessage-deflate was negotiated (RFC 7692 6).
    const deflate = ext != null && asciiLower(ext!).includes("permessage-deflate");
    const root = this.drainRoot;
    this.watcher = new FrameWatcher(deflate);
    this.connectionId = connectionId(this.contextId);
    this.signal = root.config.signalFor(this.service);
    root.track(this);
    return FilterHeadersStatus.Continue;
  }

  onResponseBody(bodySize: usize, endOfStream: bool): FilterDataStatus {
    const watcher = this.watcher;
    if (watcher == null) return FilterDataStatus.Continue;
    const root = this.drainRoot;
    const cache = root.cache;
    let drain: DrainEntry | null = null;
    if (cache.anyActive) {
      if (this.drainVersion != cache.version) {
        this.drain = cache.table.effectiveFor(this.service);
        this.drainVersion = cache.version;
      }
      drain = this.drain;
    }
    if (bodySize == 0) return FilterDataStatus.Continue;
    const now = drain != null ? currentMs() : 0;
    const signal = this.signal!;
    let inj: Injection;
    if (watcher.needsBytes(bodySize)) {
      const ptr = responseBody.getRawPtr(0, bodySize);   // no allocation per chunk
      if (ptr == 0) return FilterDataStatus.Continue;
      inj = watcher.onChunk(ptr, rawLength(), endOfStream, now, this.connectionId, drain, signal.frame, signal.isClose, root.closeFrame);
      freeBytes(ptr);
    } else {
      inj = watcher.onChunk(0, bodySize, endOfStream, now, this.connectionId, drain, signal.frame, signal.isClose, root.closeFrame);
    }
    if (inj.edit == Edit.None) {
      if (inj.malformed) root.stats.malformed.increment(1);
      return FilterDataStatus.Continue;
    }
    if (inj.edit == Edit.Append) responseBody.append(inj.bytes!);
    else if (inj.edit == Edit.Prepend) responseBody.prepend(inj.bytes!);
    else responseBody.replace(inj.bytes!);
    if (inj.signalled && !this.signalled) {
      this.signalled = true;
      root.stats.signalled.increment(1);
      root.stats.unsignalled.add(-1);
    }
    if (inj.graceClosed) root.stats.graceClose.increment(1);
    return FilterDataStatus.Continue;
  }

  onDone(): bool {
    if (this.watcher != null) this.drainRoot.untrack(this);
    return true;
  }
}

/** Envoy's downstream connection id (the Wasm property "connection_id": context.cc findValue,
 *  PropertyToken::CONNECTION_ID, a uint64), else the CEL attribute connection.id, else the
 *  stream's context id (unique per VM, still spread by the hash). */
function connectionId(fallback: u32): u64 {
  let v = getProperty(["connection_id"]);
  if (v == null || v!.byteLength != 8) v = getProperty(["connection", "id"]);
  if (v == null || v!.byteLength != 8) return <u64>fallback;
  return load<u64>(changetype<usize>(v!));
}
