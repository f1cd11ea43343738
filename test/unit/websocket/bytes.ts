// Fixture helpers: frames are written as hex ("81 05 48 65 6c 6c 6f"), long payloads as filler.

/** Bytes from hex pairs; spaces are ignored. */
export function hex(text: string): ArrayBuffer {
  let digits = text.replaceAll(" ", "");
  if (digits.length & 1) throw new Error("hex fixture has an odd number of digits: " + text);
  let out = new Uint8Array(digits.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = <u8>I32.parseInt(digits.substring(i * 2, i * 2 + 2), 16);
  return out.buffer;
}

/** n filler payload bytes (i & 0xFF): payload content never matters to the reader. */
export function filler(n: i32): ArrayBuffer {
  let out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = <u8>i;
  return out.buffer;
}

export function concat(parts: ArrayBuffer[]): ArrayBuffer {
  let total = 0;
  for (let i = 0; i < parts.length; i++) total += parts[i].byteLength;
  let out = new ArrayBuffer(total);
  let at = changetype<usize>(out);
  for (let i = 0; i < parts.length; i++) {
    memory.copy(at, changetype<usize>(parts[i]), <usize>parts[i].byteLength);
    at += <usize>parts[i].byteLength;
  }
  return out;
}

/** Lowercase hex of bytes, space-separated, for comparing writer output with a literal. */
export function toHex(buf: ArrayBuffer): string {
  let view = Uint8Array.wrap(buf);
  let parts = new Array<string>(view.length);
  for (let i = 0; i < view.length; i++) {
    let b = view[i];
    parts[i] = (b < 16 ? "0" : "") + b.toString(16);
  }
  return parts.join(" ");
}

export function ptrOf(buf: ArrayBuffer): usize {
  return changetype<usize>(buf);
}
