// Streaming RFC 6455 frame reader for proxy-wasm body chunks.
//
// Envoy hands an upgraded stream's bytes to the filter as raw TCP reads (request body:
// client->server, masked; response body: server->client, unmasked), not aligned to frames. The
// reader keeps just enough state to resume anywhere: header bytes are parsed one at a time, payload
// bytes are skipped by arithmetic (a chunk of payload costs O(1), nothing is copied or unmasked).
// Pure code: no host imports, no allocation in scan().
import { WsError } from "./errors";

export const enum Opcode {
  Continuation = 0x0, Text = 0x1, Binary = 0x2, Close = 0x8, Ping = 0x9, Pong = 0xA,
}

/** Which MASK bit the reader accepts (RFC 6455 5.1: client->server frames are masked). */
export const enum Mask { Any = -1, Unmasked = 0, Masked = 1 }

// Layout: four u64 words, 32 bytes in all (a conn-accounting stream keeps two readers). Filters
// that keep a reader inline in their stream object use the state API (FRAME_READER_STATE_BYTES,
// saveState/loadState, initState), never this layout.
//
//  _offset     stream offset of the next byte; after an error, the offending byte's offset
//  _remaining  while in a header: the extended length being accumulated;
//              while in a payload: payload bytes still to skip
//  _frames     bits 0..47 frames completed | bits 48..63 header state (H_*)
//  _messages   bits 0..47 messages completed | bits 48..63 flags (F_*)
//
// Counters are 48-bit and saturate at 2^48-1 (2.8e14 frames: years at a million frames per
// second on one websocket); the top bits hold state so the object stays within 32 bytes.

const COUNT_MASK: u64 = 0x0000_FFFF_FFFF_FFFF;
const COUNT_MAX: u64 = COUNT_MASK;

// Header state (16 bits).
const H_POS: u32 = 0xF;            // header bytes consumed (0..13); POS_PAYLOAD while skipping payload
const POS_PAYLOAD: u32 = 0xF;
const H_OPCODE_SHIFT: u32 = 4;     // bits 4..7: opcode of the frame being read
const H_FIN: u32 = 1 << 8;
const H_RSV1: u32 = 1 << 9;
const H_MASKED: u32 = 1 << 10;
const H_EXT_SHIFT: u32 = 11;       // bits 11..12: extended length bytes 0, 2 (=1) or 8 (=2)
const H_EXT: u32 = 3 << 11;
const H_POLICY_SHIFT: u32 = 13;    // bits 13..14: Mask policy + 1 (0 Any, 1 Unmasked, 2 Masked)
const H_POLICY: u32 = 3 << 13;
const H_ALLOW_RSV1: u32 = 1 << 15;
const H_CONFIG: u32 = H_POLICY | H_ALLOW_RSV1;

// Flags (16 bits).
const F_LAST_OPCODE: u32 = 0xF;    // bits 0..3: opcode of the last completed frame
const F_LAST_FIN: u32 = 1 << 4;
const F_LAST_RSV1: u32 = 1 << 5;
const F_LAST_MASKED: u32 = 1 << 6;
const F_ANY_FRAME: u32 = 1 << 7;
const F_LAST: u32 = 0xFF;
const F_ERROR_SHIFT: u32 = 8;      // bits 8..11: WsError
const F_ERROR: u32 = 0xF << 8;
const F_IN_MESSAGE: u32 = 1 << 12; // a data frame without FIN completed; continuations expected
const F_CLOSE_SEEN: u32 = 1 << 13;

/** Bytes of a reader's saved state (saveState/loadState/initState): a filter keeping a reader
 *  inline reserves this much, e.g. four u64 fields. */
export const FRAME_READER_STATE_BYTES: usize = 32;
/** Bytes of the state without the byte offset (saveCounters/loadCounters): for a filter that
 *  never reads `offset` or `errorOffset`. */
export const FRAME_READER_COUNTERS_BYTES: usize = 24;

@final
export class FrameReader {
  private _offset: u64 = 0;
  private _remaining: u64 = 0;
  private _frames: u64 = 0;
  private _messages: u64 = 0;

  /**
   * allowRsv1: permessage-deflate was negotiated (RFC 7692 uses RSV1); RSV2/RSV3 stay errors.
   * mask: Mask.Masked for request bodies (client->server), Mask.Unmasked for response bodies,
   * Mask.Any to accept both.
   */
  constructor(allowRsv1: bool = false, mask: i32 = Mask.Any) {
    if (mask < -1 || mask > 1) {
      throw new Error("FrameReader: mask must be Mask.Any (-1), Mask.Unmasked (0) or Mask.Masked (1), got " + mask.toString());
    }
    let config = (<u32>(mask + 1) << H_POLICY_SHIFT) | (allowRsv1 ? H_ALLOW_RSV1 : 0);
    this._frames = <u64>config << 48;
  }

  /**
   * Scans one chunk of the stream (raw bytes in linear memory, e.g. from Buffer.getRaw).
   * Returns the number of frames completed in this chunk, or -1 when the stream is malformed (now
   * or before). Frames completed in the chunk before the offending byte are counted in `frames`.
   */
  scan(ptr: usize, len: usize): i32 {
    let r = this.run(ptr, len, false);
    return r < 0 ? -1 : <i32>(r & 0xFFFF_FFFF);
  }

  /**
   * Like scan(), but stops right after the first frame that completes: returns the bytes
   * consumed (len when no frame completed in the chunk), or -1 on error. Call it in a loop on the
   * rest of the chunk to see every frame (last*, offset) one at a time.
   */
  scanFrame(ptr: usize, len: usize): isize {
    let r = this.run(ptr, len, true);
    return r < 0 ? -1 : <isize>(r >>> 32);
  }

  // Returns (bytes consumed << 32) | frames completed, or -1 on error. `stop` is a constant at
  // each call site, so scan() pays nothing for scanFrame().
  @inline
  private run(ptr: usize, len: usize, stop: bool): i64 {
    let fl = <u32>(this._messages >>> 48);
    if (fl & F_ERROR) return -1;
    let hs = <u32>(this._frames >>> 48);
    let frames = this._frames & COUNT_MASK;
    let messages = this._messages & COUNT_MASK;
    let rem = this._remaining;
    let i: usize = 0;
    let found: i32 = 0;
    let err: u32 = 0;
    let errAt: usize = 0;
    let errBack: u32 = 0; // the offending byte lies errBack bytes before errAt (maybe in a past chunk)

    while (i < len) {
      let pos = hs & H_POS;
      let headerDone = false;
      if (pos == POS_PAYLOAD) {
        let avail = <u64>(len - i);
        if (rem > avail) {
          rem -= avail;
          i = len;
          break;
        }
        i += <usize>rem;
        rem = 0;
      } else {
        let b = <u32>load<u8>(ptr + i);
        if (pos == 0) {
          // Byte 0: FIN RSV1 RSV2 RSV3 opcode(4). Checked in ws's Receiver order (getInfo).
          let opcode = b & 0xF;
          let rsv1 = (b & 0x40) != 0;
          if ((b & 0x30) != 0 || (rsv1 && (hs & H_ALLOW_RSV1) == 0)) {
            err = WsError.RsvWithoutExtension; errAt = i; break;
          }
          if (opcode == 0) {
            // RFC 7692 6.1: RSV1 marks a compressed message on its first frame only.
            if (rsv1) { err = WsError.RsvWithoutExtension; errAt = i; break; }
            if ((fl & F_IN_MESSAGE) == 0) { err = WsError.UnexpectedContinuation; errAt = i; break; }
          } else if (opcode <= 2) {
            if (fl & F_IN_MESSAGE) { err = WsError.ExpectedContinuation; errAt = i; break; }
          } else if (opcode >= 8 && opcode <= 0xA) {
            if ((b & 0x80) == 0) { err = WsError.ControlFragmented; errAt = i; break; }
            // RFC 7692 6.1: control frames are never compressed.
            if (rsv1) { err = WsError.RsvWithoutExtension; errAt = i; break; }
          } else {
            err = WsError.ReservedOpcode; errAt = i; break;
          }
          hs = (hs & H_CONFIG) | 1 | (opcode << H_OPCODE_SHIFT)
            | ((b & 0x80) ? H_FIN : 0) | (rsv1 ? H_RSV1 : 0);
        } else if (pos == 1) {
          // Byte 1: MASK len7. 126 -> 16-bit length follows, 127 -> 64-bit length follows.
          // Checked in ws's order: control frame length, then the mask policy.
          let masked = (b & 0x80) != 0;
          let len7 = b & 0x7F;
          let opcode = (hs >> H_OPCODE_SHIFT) & 0xF;
          if (opcode >= 8) {
            if (len7 > 125) { err = WsError.ControlTooLong; errAt = i; break; }
            // 5.5.1: a Close body starts with a 2-byte status code, so 1 byte cannot be one.
            if (len7 == 1 && opcode == Opcode.Close) { err = WsError.CloseLengthOne; errAt = i; break; }
          }
          let policy = (hs & H_POLICY) >> H_POLICY_SHIFT;
          if ((policy == 1 && masked) || (policy == 2 && !masked)) {
            err = WsError.MaskPolicy; errAt = i; break;
          }
          let ext: u32 = len7 == 126 ? 1 : len7 == 127 ? 2 : 0;
          rem = ext ? 0 : <u64>len7;
          hs = (hs & ~H_POS) | 2 | (masked ? H_MASKED : 0) | (ext << H_EXT_SHIFT);
          headerDone = ext == 0 && !masked;
        } else {
          let ext = (hs & H_EXT) >> H_EXT_SHIFT;
          let extBytes: u32 = ext == 0 ? 0 : ext == 1 ? 2 : 8;
          let k = pos - 2;
          if (k < extBytes) {
            if (k == 0 && ext == 2 && (b & 0x80) != 0) { err = WsError.LengthTooLong; errAt = i; break; }
            rem = (rem << 8) | <u64>b;
            if (k == extBytes - 1 && rem < (ext == 1 ? <u64>126 : <u64>65536)) {
              // Reported at the first extended-length byte (may lie in an earlier chunk).
              err = WsError.NonMinimalLength; errAt = i; errBack = k; break;
            }
          }
          pos++;
          hs = (hs & ~H_POS) | pos;
          headerDone = pos == 2 + extBytes + ((hs & H_MASKED) ? 4 : 0);
        }
        i++;
        if (!headerDone) continue;
        if (rem != 0) {
          hs = (hs & ~H_POS) | POS_PAYLOAD;
          continue;
        }
      }

      // The frame is complete (payload skipped, or empty).
      let opcode = (hs >> H_OPCODE_SHIFT) & 0xF;
      let fin = (hs & H_FIN) != 0;
      if (frames < COUNT_MAX) frames++;
      found++;
      if (opcode < 8) {
        if (fin) {
          if (messages < COUNT_MAX) messages++;
          fl &= ~F_IN_MESSAGE;
        } else {
          fl |= F_IN_MESSAGE;
        }
      } else if (opcode == Opcode.Close) {
        fl |= F_CLOSE_SEEN;
      }
      fl = (fl & ~F_LAST) | F_ANY_FRAME | opcode | (fin ? F_LAST_FIN : 0)
        | ((hs & H_RSV1) ? F_LAST_RSV1 : 0) | ((hs & H_MASKED) ? F_LAST_MASKED : 0);
      hs &= H_CONFIG;
      if (stop) { len = i; break; }
    }

    this._remaining = rem;
    this._frames = (<u64>hs << 48) | frames;
    if (err) {
      // Errors are final: the offset freezes at the offending byte and nothing more is counted.
      this._offset = this._offset + <u64>errAt - <u64>errBack;
      this._messages = (<u64>(fl | (err << F_ERROR_SHIFT)) << 48) | messages;
      return -1;
    }
    this._offset += <u64>len;
    this._messages = (<u64>fl << 48) | messages;
    return (<i64>len << 32) | <i64>found;
  }

  /** Writes a fresh reader's state, as `new FrameReader(allowRsv1, mask)` has it, at `dst`
   *  (FRAME_READER_STATE_BYTES bytes, 8-aligned). */
  static initState(dst: usize, allowRsv1: bool, mask: i32 = Mask.Any): void {
    store<u64>(dst, 0);
    store<u64>(dst, 0, 8);
    store<u64>(dst, <u64>((<u32>(mask + 1) << H_POLICY_SHIFT) | (allowRsv1 ? H_ALLOW_RSV1 : 0)) << 48, 16);
    store<u64>(dst, 0, 24);
  }
  /** Copies this reader's whole state to `dst` (FRAME_READER_STATE_BYTES bytes). */
  saveState(dst: usize): void {
    store<u64>(dst, this._offset);
    this.saveCounters(dst + 8);
  }
  /** Makes this reader continue from a state written by saveState or initState. */
  loadState(src: usize): void {
    this._offset = load<u64>(src);
    this.loadCounters(src + 8);
  }
  /** Copies the state without the byte offset to `dst` (FRAME_READER_COUNTERS_BYTES bytes). */
  @inline saveCounters(dst: usize): void {
    store<u64>(dst, this._remaining);
    store<u64>(dst, this._frames, 8);
    store<u64>(dst, this._messages, 16);
  }
  /** Continues from saveCounters' state (or initState's, at +8); the offset is left as it is. */
  @inline loadCounters(src: usize): void {
    this._remaining = load<u64>(src);
    this._frames = load<u64>(src, 8);
    this._messages = load<u64>(src, 16);
  }
  /** Whether RSV1 frames are accepted from now on: permessage-deflate may be agreed (the 101)
   *  after the reader started on bytes that came with the request. */
  set allowRsv1(allow: bool) {
    const bit = <u64>H_ALLOW_RSV1 << 48;
    this._frames = allow ? this._frames | bit : this._frames & ~bit;
  }

  /** Frames completed so far (data and control). */
  get frames(): u64 { return this._frames & COUNT_MASK; }
  /** Data messages completed so far (Text/Binary/Continuation frames with FIN). */
  get messages(): u64 { return this._messages & COUNT_MASK; }
  /** WsError.None until the stream is malformed; then the reason, for good. */
  get error(): WsError { return <WsError>((<u32>(this._messages >>> 48) & F_ERROR) >> F_ERROR_SHIFT); }
  /** Stream offset (bytes since the reader started) of the offending byte; 0 when no error. */
  get errorOffset(): u64 { return this.error == WsError.None ? 0 : this._offset; }
  /** Bytes scanned so far; after an error, the offset of the offending byte. */
  get offset(): u64 { return this._offset; }
  /** A Close frame has been completed: nothing may be injected after it (RFC 6455 5.5.1). */
  get closeSeen(): bool { return (<u32>(this._messages >>> 48) & F_CLOSE_SEEN) != 0; }

  /** No partial frame is pending (and the stream is not in error). */
  atFrameBoundary(): bool {
    return (<u32>(this._frames >>> 48) & H_POS) == 0 && this.error == WsError.None;
  }
  /** A data frame without FIN completed and its final continuation has not (RFC 6455 5.4). */
  inFragmentedMessage(): bool { return (<u32>(this._messages >>> 48) & F_IN_MESSAGE) != 0; }
  /**
   * A new frame may be spliced in here: at a frame boundary, not between the fragments of a
   * message (5.4: only control frames may go there, and an injected Text would break the
   * message), no error, no Close seen.
   */
  canInject(): bool {
    let fl = <u32>(this._messages >>> 48);
    return (<u32>(this._frames >>> 48) & H_POS) == 0
      && (fl & (F_ERROR | F_IN_MESSAGE | F_CLOSE_SEEN)) == 0;
  }
  /** Payload bytes of the current frame not yet seen; 0 between frames and inside a header. */
  get pendingPayload(): u64 {
    return (<u32>(this._frames >>> 48) & H_POS) == POS_PAYLOAD ? this._remaining : 0;
  }

  /** Opcode of the last completed frame; -1 before the first. */
  get lastOpcode(): i32 {
    let fl = <u32>(this._messages >>> 48);
    return (fl & F_ANY_FRAME) ? <i32>(fl & F_LAST_OPCODE) : -1;
  }
  get lastFin(): bool { return (<u32>(this._messages >>> 48) & F_LAST_FIN) != 0; }
  /** RSV bits of the last completed frame as in the header (RSV1 = 4; RSV2/RSV3 never pass). */
  get lastRsv(): u8 { return (<u32>(this._messages >>> 48) & F_LAST_RSV1) ? <u8>4 : <u8>0; }
  get lastMasked(): bool { return (<u32>(this._messages >>> 48) & F_LAST_MASKED) != 0; }
}
