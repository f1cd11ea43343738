// One HTTP stream. Control requests are answered here; a websocket (101 response) has its
// server->client bytes followed by a FrameWatcher (proxy_on_response_body after the upgrade: Envoy
// docs arch_overview/http/upgrades) and receives the signal at its moment.
import {
  HttpContext, FilterHeadersStatus, FilterDataStatus, requestHeaders, responseHeaders, responseBody,
  freeBytes, getProperty, rawLength,
} from "../../sdk";
import { FrameReader, Mask, FRAME_READER_COUNTERS_BYTES, negotiatesPermessageDeflate, upgradeIsWebSocket } from "../../sdk/websocket";
import { currentMs } from "./clock";
import { isControlPath } from "./control";
import { answerControl } from "./control-route";
import { DrainRoot } from "./root";
import { signalFraction } from "./schedule";
import { DrainEntry } from "./state";
import { Edit, FrameWatcher, Injection, Phase } from "./watcher";

// A websocket keeps its FrameWatcher's state inline (rd1..rd3, signalledAtMs,
// signalledGeneration, phase): around each chunk it is copied into one scratch watcher per VM
// and back, so a stream is one object (the watcher, its reader and its Injection were three more,
// 144 bytes with their headers). The reader's byte offset (read only for errorOffset) is not
// kept (FrameReader.saveCounters): the scratch reader's count is left to run on.
// @ts-ignore: static branch, compiled only when the reader's counters changed size
if (FRAME_READER_COUNTERS_BYTES != 24) ERROR("drain-signal: FrameReader counters are not 24 bytes; resize DrainStream's inline reader state");
const scratch = new FrameWatcher(false);
// Fresh readers: servers never mask (RFC 6455 5.1); RSV1 only with permessage-deflate.
const plainReader = new FrameReader(false, Mask.Unmasked);
const deflateReader = new FrameReader(true, Mask.Unmasked);

// flags
const F_UPGRADE: u8 = 1;    // websocket upgrade asked; `service` holds a name (ServiceNames)
const F_TRACKED: u8 = 2;    // in the root's list of open websockets
const F_SIGNALLED: u8 = 4;  // counted in wss.drain.signalled
const F_WATCHING: u8 = 8;   // the 101 came: server->client bytes are websocket frames

export class DrainStream extends HttpContext {
  // FrameReader counters (saveCounters; size checked above); 8-aligned right after contextId and root.
  private rd1: u64 = 0;
  private rd2: u64 = 0;
  private rd3: u64 = 0;
  private signalledAtMs: u64 = 0;
  /** signalFraction(connection id): where in a drain window this stream is signalled. */
  private fraction: u32 = 0;
  private signalledGeneration: u32 = 0;
  /** The root's list of open websockets (insertion order), for the hard deadline. */
  prev: DrainStream | null = null;
  next: DrainStream | null = null;
  /** Index of the service name in the root's ServiceNames. */
  service: u16 = 0;
  private phase: u8 = <u8>Phase.Watching;
  private flags: u8 = 0;

  constructor(contextId: u32, root: DrainRoot) { super(contextId, root); }

  @inline get drainRoot(): DrainRoot { return changetype<DrainRoot>(this.root); }
  @inline get signalled(): bool { return (this.flags & F_SIGNALLED) != 0; }
  @inline get tracked(): bool { return (this.flags & F_TRACKED) != 0; }
  @inline set tracked(v: bool) { this.flags = v ? this.flags | F_TRACKED : this.flags & ~F_TRACKED; }

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
    if (upgradeIsWebSocket(upgrade) && (this.flags & F_UPGRADE) == 0) {
      const service = requestHeaders.get(root.config.serviceHeader);
      this.service = root.services.acquire(service == null ? "" : service!, root.config);
      this.flags |= F_UPGRADE;
    }
    return FilterHeadersStatus.Continue;
  }

  onResponseHeaders(numHeaders: u32, endOfStream: bool): FilterHeadersStatus {
    if ((this.flags & (F_UPGRADE | F_WATCHING)) != F_UPGRADE || endOfStream || responseHeaders.get(":status") != "101") return FilterHeadersStatus.Continue;
    const ext = responseHeaders.get("sec-websocket-extensions");
    // RSV1 is legal only when permessage-deflate was negotiated (RFC 7692 6).
    const deflate = negotiatesPermessageDeflate(ext);
    (deflate ? deflateReader : plainReader).saveCounters(this.keptReader);
    this.fraction = signalFraction(connectionId(this.contextId));
    this.flags |= F_WATCHING;
    this.drainRoot.track(this);
    return FilterHeadersStatus.Continue;
  }

  onResponseBody(bodySize: usize, endOfStream: bool): FilterDataStatus {
    if ((this.flags & F_WATCHING) == 0) return FilterDataStatus.Continue;
    const root = this.drainRoot;
    const cache = root.cache;
    const drain: DrainEntry | null = cache.anyActive ? root.services.drainFor(this.service, cache) : null;
    if (bodySize == 0) return FilterDataStatus.Continue;
    const now = drain != null ? currentMs() : 0;
    const signalAt = drain != null ? drain.signalAtFraction(this.fraction) : 0;
    const signal = root.services.signal(this.service);
    const watcher = this.load();
    let inj: Injection;
    if (watcher.needsBytes(bodySize)) {
      const ptr = responseBody.getRawPtr(0, bodySize);   // no allocation per chunk
      if (ptr == 0) return FilterDataStatus.Continue;
      inj = watcher.onChunkAt(ptr, rawLength(), endOfStream, now, signalAt, drain, signal.frame, signal.isClose, root.closeFrame, signal.closes);
      freeBytes(ptr);
    } else {
      inj = watcher.onChunkAt(0, bodySize, endOfStream, now, signalAt, drain, signal.frame, signal.isClose, root.closeFrame, signal.closes);
    }
    this.save();
    if (inj.edit == Edit.None) {
      if (inj.malformed) root.stats.malformed.increment(1);
      return FilterDataStatus.Continue;
    }
    if (inj.edit == Edit.Append) responseBody.append(inj.bytes!);
    else if (inj.edit == Edit.Prepend) responseBody.prepend(inj.bytes!);
    else responseBody.replace(inj.bytes!);
    if (inj.signalled && !this.signalled) {
      this.flags |= F_SIGNALLED;
      root.stats.signalled.increment(1);
      root.stats.unsignalled.add(-1);
    }
    if (inj.graceClosed) root.stats.graceClose.increment(1);
    return FilterDataStatus.Continue;
  }

  onDone(): bool {
    const root = this.drainRoot;
    root.untrack(this);
    if (this.flags & F_UPGRADE) {
      this.flags &= ~F_UPGRADE;
      root.services.release(this.service);
    }
    return true;
  }

  @inline private get keptReader(): usize { return changetype<usize>(this) + offsetof<DrainStream>("rd1"); }

  /** The scratch watcher, holding this stream's state. */
  private load(): FrameWatcher {
    const w = scratch;
    w.reader.loadCounters(this.keptReader);
    w.phase = <Phase>this.phase;
    w.signalledAtMs = this.signalledAtMs;
    w.signalledGeneration = this.signalledGeneration;
    return w;
  }

  private save(): void {
    const w = scratch;
    w.reader.saveCounters(this.keptReader);
    this.phase = <u8>w.phase;
    this.signalledAtMs = w.signalledAtMs;
    this.signalledGeneration = w.signalledGeneration;
  }
}

// 60 bytes of fields make an 80-byte heap block with the 20-byte header (README.md "Memory per
// open websocket"); a field more would cost 16 bytes per websocket.
// @ts-ignore: compile-time constant (AssemblyScript builtin)
if (offsetof<DrainStream>() > 60) ERROR("drain-signal: DrainStream grew past 60 bytes of fields (an 80-byte block)");

/** Envoy's downstream connection id (the Wasm property "connection_id": context.cc findValue,
 *  PropertyToken::CONNECTION_ID, a uint64), else the CEL attribute connection.id, else the
 *  stream's context id (unique per VM, still spread by the hash). */
function connectionId(fallback: u32): u64 {
  let v = getProperty(["connection_id"]);
  if (v == null || v!.byteLength != 8) v = getProperty(["connection", "id"]);
  if (v == null || v!.byteLength != 8) return <u64>fallback;
  return load<u64>(changetype<usize>(v!));
}
