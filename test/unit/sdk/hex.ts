// Hex fixtures for the SDK specs ("02 00 00 00 ..."), compared as lowercase space-separated hex.

export function hex(text: string): ArrayBuffer {
  const digits = text.replaceAll(" ", "");
  const out = new Uint8Array(digits.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = <u8>I32.parseInt(digits.substring(i * 2, i * 2 + 2), 16);
  return out.buffer;
}

export function toHex(buf: ArrayBuffer): string {
  const view = Uint8Array.wrap(buf);
  const parts = new Array<string>(view.length);
  for (let i = 0; i < view.length; i++) {
    const b = view[i];
    parts[i] = (b < 16 ? "0" : "") + b.toString(16);
  }
  return parts.join(" ");
}
