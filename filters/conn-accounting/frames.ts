// Frame counting with the SDK's FrameReader, without a reader object per websocket.
//
// A stream keeps each direction's reader state inline (FRAME_READER_STATE_BYTES, four u64
// fields); around each scan it is loaded into one scratch reader per VM and saved back. Two reader
// objects per stream would cost their state plus two object headers and two pointers, about
// 2 x 64 bytes in the TLSF heap; inline they cost 64.
import { FrameReader, FRAME_READER_STATE_BYTES } from "../../sdk/websocket";
import { Buffer, freeBytes, rawLength } from "../../sdk";

// The stream reserves exactly 4 u64 words per direction (AccountingStream.rx0..rx3/tx0..tx3).
// @ts-ignore: static branch, compiled only when the reader's state size changed
if (FRAME_READER_STATE_BYTES != 32) ERROR("conn-accounting: FrameReader state is not 32 bytes; resize AccountingStream's inline reader state");

const scratch = new FrameReader();

/** Writes a fresh reader's state at state: RFC 6455 frames, either mask (the filter counts, it
 *  does not police masking: Envoy forwards whatever the client sends), RSV1 allowed only with
 *  permessage-deflate. */
@inline
export function resetReader(state: usize, permessageDeflate: bool): void {
  FrameReader.initState(state, permessageDeflate);
}

/** Whether the reader at state accepts RSV1 from now on (deflate agreed by the 101 after the
 *  reader started on bytes that came with the request). */
export function allowDeflate(state: usize, permessageDeflate: bool): void {
  const r = scratch;
  r.loadState(state);
  r.allowRsv1 = permessageDeflate;
  r.saveState(state);
}

/** Counts the frames completed by the next `size` bytes of a body buffer, with the reader
 *  whose state is at `state`; -1 when the framing is invalid (FrameReader.scan).
 *
 *  Only bytes that can hold a frame header are copied out of the host: FrameReader skips
 *  payload by arithmetic without reading memory (pendingPayload tells how much is left), so a
 *  chunk inside a large frame costs no hostcall, and otherwise the copy starts after the
 *  current payload. */
export function countChunk(state: usize, buf: Buffer, size: usize): i32 {
  const r = scratch;
  r.loadState(state);
  let n: i32 = 0;
  const pending = r.pendingPayload;
  if (pending >= <u64>size) {
    n = r.scan(0, size);              // payload only: no byte is read, ptr is never dereferenced
  } else {
    const skip = <usize>pending;
    if (skip > 0) n = r.scan(0, skip);  // the rest of the current payload completes its frame
    if (n >= 0) {
      const ptr = buf.getRawPtr(skip, size - skip);   // no allocation per chunk
      if (ptr != 0) {
        const m = r.scan(ptr, rawLength());
        freeBytes(ptr);
        n = m < 0 ? -1 : n + m;
      }
    }
  }
  r.saveState(state);
  return n;
}

/** Stream offset of the byte that made the last countChunk() fail. */
export function lastErrorOffset(): u64 {
  return scratch.errorOffset;
}
