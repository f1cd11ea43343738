// Frames a server injects toward a client: FIN set, RSV clear, unmasked (RFC 6455 5.1: a server
// MUST NOT mask), length in the minimal form (5.2: 7-bit < 126, 16-bit < 65536, else 64-bit).
// The write* variants are unsafe (raw pointers, no bounds check) and allocate nothing; size the
// destination with the matching *Size function. The ArrayBuffer variants allocate once.
import { Opcode } from "./reader";

/** Close payloads are at most 125 bytes (5.5): 2 for the code, so at most 123 of reason. */
export const MAX_CLOSE_REASON_BYTES: i32 = 123;

/** Header bytes for an unmasked frame with this payload length: 2, 4 or 10. */
export function frameHeaderSize(payloadLength: u64): usize {
  return payloadLength < 126 ? 2 : payloadLength < 65536 ? 4 : 10;
}

/** Unsafe: writes an unmasked FIN frame header at ptr; returns its size. payloadLength < 2^63. */
export function writeFrameHeader(ptr: usize, opcode: u8, payloadLength: u64): usize {
  store<u8>(ptr, 0x80 | (opcode & 0xF));
  if (payloadLength < 126) {
    store<u8>(ptr, <u8>payloadLength, 1);
    return 2;
  }
  if (payloadLength < 65536) {
    store<u8>(ptr, 126, 1);
    store<u16>(ptr, bswap<u16>(<u16>payloadLength), 2);
    return 4;
  }
  store<u8>(ptr, 127, 1);
  store<u64>(ptr, bswap<u64>(payloadLength & 0x7FFF_FFFF_FFFF_FFFF), 2);
  return 10;
}

/** Bytes textFrame(text) / writeTextFrame(ptr, text) produce. */
export function textFrameSize(text: string): usize {
  let n = <u64>String.UTF8.byteLength(text);
  return frameHeaderSize(n) + <usize>n;
}

/** Unsafe: writes an unmasked FIN Text frame carrying text as UTF-8 at ptr; returns its size. */
export function writeTextFrame(ptr: usize, text: string): usize {
  let n = String.UTF8.byteLength(text);
  let h = writeFrameHeader(ptr, <u8>Opcode.Text, <u64>n);
  return h + String.UTF8.encodeUnsafe(changetype<usize>(text), text.length, ptr + h);
}

/** An unmasked FIN Text frame carrying text as UTF-8. */
export function textFrame(text: string): ArrayBuffer {
  let buf = new ArrayBuffer(<i32>textFrameSize(text));
  writeTextFrame(changetype<usize>(buf), text);
  return buf;
}

// The longest prefix of reason whose UTF-8 form fits in MAX_CLOSE_REASON_BYTES, cut on a code
// point boundary (5.5.1: the reason is UTF-8; a cut surrogate pair would not be). Returns its
// length in UTF-16 code units, or in UTF-8 bytes when wantBytes.
function closeReasonCut(reason: string, wantBytes: bool): i32 {
  let units = reason.length;
  let bytes = 0;
  let i = 0;
  while (i < units) {
    let c = <u32>reason.charCodeAt(i);
    let w = 1;
    let n = 3;
    if (c < 0x80) n = 1;
    else if (c < 0x800) n = 2;
    else if ((c & 0xFC00) == 0xD800 && i + 1 < units && (<u32>reason.charCodeAt(i + 1) & 0xFC00) == 0xDC00) {
      n = 4; w = 2;
    }
    if (bytes + n > MAX_CLOSE_REASON_BYTES) break;
    bytes += n;
    i += w;
  }
  return wantBytes ? bytes : i;
}

/** Bytes closeFrame(code, reason) / writeCloseFrame produce (reason cut to 123 UTF-8 bytes). */
export function closeFrameSize(reason: string): usize {
  return 4 + <usize>closeReasonCut(reason, true);
}

/**
 * Unsafe: writes an unmasked Close frame (code big-endian, then reason as UTF-8) at ptr; returns
 * its size, at most 127. A reason over 123 UTF-8 bytes is cut on a code point boundary so the
 * frame stays a valid control frame. The code is written as given (1000 normal, 1001 going away).
 */
export function writeCloseFrame(ptr: usize, code: u16, reason: string): usize {
  let units = closeReasonCut(reason, false);
  let n = String.UTF8.encodeUnsafe(changetype<usize>(reason), units, ptr + 4);
  store<u8>(ptr, 0x80 | <u8>Opcode.Close);
  store<u8>(ptr, <u8>(2 + n), 1);
  store<u16>(ptr, bswap<u16>(code), 2);
  return 4 + n;
}

/** An unmasked Close frame with this status code and reason (see writeCloseFrame). */
export function closeFrame(code: u16, reason: string): ArrayBuffer {
  let buf = new ArrayBuffer(<i32>closeFrameSize(reason));
  writeCloseFrame(changetype<usize>(buf), code, reason);
  return buf;
}
