// One websocket's server->client byte stream: where the frame boundaries are, and when the
// drain signal or the closing Close frame may be added without corrupting anything.
//
// Envoy hands upgraded websocket bytes to proxy_on_response_body as raw TCP reads, not aligned
// to frames (source/extensions/common/wasm/context.cc, Context::onResponseBody),
// and proxy_set_buffer_bytes can only prepend, append or replace a prefix of the chunk
// (Context::setBufferBytes -> Buffer::copyFrom). So an added frame goes at the start of a chunk
// (when the previous chunk ended on a boundary) or at its end (when this one does):
//   - a data frame (goodbye / disconnect / custom text) only where no fragmented message is open
//     (RFC 6455 5.4: fragments of one message must not be interleaved with other data frames);
//   - a Close frame at any boundary, also between fragments (control frames may be injected in
//     the middle of a fragmented message, RFC 6455 5.4);
//   - nothing after a Close from the server, and nothing from the server after our own Close
//     (RFC 6455 5.5.1: no data frames after Close): later bytes are dropped.
// Added frames are unmasked, FIN, RSV clear, so they are valid with permessage-deflate
// (RFC 7692 6: RSV1 marks a compressed message; an uncompressed one leaves it clear).
import { FrameReader, Mask } from "../../sdk/websocket";
import { DrainEntry } from "./state";

export const enum Phase {
  Watching = 0,      // no signal sent yet
  Signalled = 1,     // the signal went out; waiting for the client to leave, or for the grace
  Closed = 2,        // we sent Close 1001: every later server byte is dropped
  ServerClosed = 3,  // the server sent Close: never add anything
  Broken = 4,        // the server sent a malformed frame: pass through, never add anything
}

export const enum Edit { None = 0, Prepend = 1, Append = 2, ReplaceAll = 3 }

/** What the filter does to the current chunk. */
@final
export class Injection {
  edit: Edit = Edit.None;
  bytes: ArrayBuffer | null = null;
  /** The signal went out in this chunk (count wss.drain.signalled). */
  signalled: bool = false;
  /** A Close went out in this chunk after the grace (not the signal itself). */
  graceClosed: bool = false;
  /** The server sent a malformed frame in this chunk (count it; injection stops). */
  malformed: bool = false;

  @inline reset(): void {
    this.edit = Edit.None; this.bytes = null;
    this.signalled = false; this.graceClosed = false; this.malformed = false;
  }
}

const EMPTY = new ArrayBuffer(0);

@final
export class FrameWatcher {
  readonly reader: FrameReader;
  phase: Phase = Phase.Watching;
  signalledAtMs: u64 = 0;
  /** Generation of the drain whose signal went out: a later drain (after a cancel) signals again. */
  signalledGeneration: u32 = 0;
  /** Reused for every chunk: no allocation per callback. */
  readonly out: Injection = new Injection();

  constructor(allowRsv1: bool) {
    // Servers never mask (RFC 6455 5.1): a masked frame from the backend is malformed.
    this.reader = new FrameReader(allowRsv1, Mask.Unmasked);
  }

  /** Whether onChunk must see the bytes of a chunk of `len` bytes. Not when the stream is past
   *  watching (nothing is scanned), nor when the whole chunk is payload of the current frame: the
   *  reader skips payload by arithmetic without reading it, so the filter saves the
   *  proxy_get_buffer_bytes copy (onChunk may then be given ptr 0). */
  needsBytes(len: usize): bool {
    if (this.phase >= Phase.Closed) return false;
    return this.reader.pendingPayload < <u64>len;
  }

  /** Scans one server->client chunk at [ptr, ptr+len) and decides what to add.
   *  drain: the drain that applies to this stream (null: none); signal: the signal frame
   *  (a Close frame for the close dialect: signalIsClose); closeFrame: Close 1001. */
  onChunk(ptr: usize, len: usize, endOfStream: bool, nowMs: u64, connectionId: u64,
          drain: DrainEntry | null, signal: ArrayBuffer, signalIsClose: bool, closeFrame: ArrayBuffer,
          signalCloses: bool = false): Injection {
    const signalAt = drain == null ? 0 : drain.signalAtMs(connectionId);
    return this.onChunkAt(ptr, len, endOfStream, nowMs, signalAt, drain, signal, signalIsClose, closeFrame, signalCloses);
  }

  /** onChunk with the stream's moment in the drain already worked out (signalAtMs: ignored
   *  without a drain). signalCloses: the signal is a data frame followed by a Close (placed as
   *  a data frame; the stream is closed once it went out). */
  onChunkAt(ptr: usize, len: usize, endOfStream: bool, nowMs: u64, signalAt: u64,
            drain: DrainEntry | null, signal: ArrayBuffer, signalIsClose: bool, closeFrame: ArrayBuffer,
            signalCloses: bool = false): Injection {
    const out = this.out;
    out.reset();
    const phase = this.phase;
    if (phase == Phase.Closed) {
      // After our Close, the client must see no more server frames (RFC 6455 5.5.1).
      if (len > 0) { out.edit = Edit.ReplaceAll; out.bytes = EMPTY; }
      return out;
    }
    if (phase >= Phase.ServerClosed) return out;

    const reader = this.reader;
    if (drain == null) {
      // No drain: only follow the frames (the common case, kept short).
      this.follow(ptr, len);
      return out;
    }
    const dataOkBefore = reader.canInject();
    const closeOkBefore = reader.atFrameBoundary() && !reader.closeSeen;
    if (!this.follow(ptr, len) || endOfStream) return out;
    if (phase == Phase.Signalled && this.signalledGeneration != drain.generation) this.phase = Phase.Watching;

    if (this.phase == Phase.Watching) {
      if (nowMs < signalAt) return out;
      // The signal first, even when the stream was quiet past its moment: the polite request
      // to reconnect is what clients act on; the Close only follows after the grace.
      const atEnd = signalIsClose ? reader.atFrameBoundary() : reader.canInject();
      // A signal ending with a Close replaces the chunk when it goes first (nothing may follow it).
      if (this.place(out, signalIsClose ? closeOkBefore : dataOkBefore, atEnd, signal, signalIsClose || signalCloses)) {
        out.signalled = true;
        this.signalledGeneration = drain.generation;
        this.signalledAtMs = nowMs;
        this.phase = signalIsClose || signalCloses ? Phase.Closed : Phase.Signalled;
        return out;
      }
      // A fragmented message kept the data frame out for the whole grace: Close 1001 instead
      // (control frames may go between fragments).
      if (nowMs < signalAt + drain.graceMs) return out;
      if (!this.place(out, closeOkBefore, reader.atFrameBoundary(), closeFrame, true)) return out;
      out.signalled = true;
      this.signalledGeneration = drain.generation;
      this.phase = Phase.Closed;
      return out;
    }
    // Signalled: Close 1001 once the grace after the signal is over.
    if (nowMs < this.signalledAtMs + drain.graceMs) return out;
    if (!this.place(out, closeOkBefore, reader.atFrameBoundary(), closeFrame, true)) return out;
    out.graceClosed = true;
    this.phase = Phase.Closed;
    return out;
  }

  /** Scans the chunk; false (and the phase set) when the backend's stream turned malformed or
   *  the server sent Close. */
  @inline private follow(ptr: usize, len: usize): bool {
    const reader = this.reader;
    if (reader.scan(ptr, len) < 0) {
      this.phase = Phase.Broken;
      this.out.malformed = true;
      return false;
    }
    if (reader.closeSeen) { this.phase = Phase.ServerClosed; return false; }
    return true;
  }

  /** Adds `frame` at the end of the chunk when it ends on a usable boundary, else at its start
   *  when the previous chunk did. A Close at the start replaces the chunk (nothing may follow
   *  it). Returns false when neither is possible (wait for a later chunk). */
  private place(out: Injection, okBefore: bool, okAfter: bool, frame: ArrayBuffer, isClose: bool): bool {
    if (okAfter) { out.edit = Edit.Append; out.bytes = frame; return true; }
    if (okBefore) { out.edit = isClose ? Edit.ReplaceAll : Edit.Prepend; out.bytes = frame; return true; }
    return false;
  }
}
