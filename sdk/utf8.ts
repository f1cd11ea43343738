// UTF-16 strings to the UTF-8 bytes the ABI carries. Same bytes as String.UTF8.encode(s, false)
// (WTF-8: a lone surrogate becomes its 3-byte form) without std's error-mode branches and
// messages, which every filter would link.

/** UTF-8 byte length of `s`. */
export function utf8Length(s: string): usize {
  const p = changetype<usize>(s);
  const end = p + (<usize>s.length << 1);
  let n: usize = 0;
  for (let q = p; q < end; q += 2) {
    const c = <u32>load<u16>(q);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (isPair(c, q + 2, end)) { n += 4; q += 2; }
    else n += 3;
  }
  return n;
}

/** Writes the UTF-8 bytes of `s` at `dst` (utf8Length(s) bytes); returns that length. */
export function utf8Write(s: string, dst: usize): usize {
  const p = changetype<usize>(s);
  const end = p + (<usize>s.length << 1);
  let w = dst;
  for (let q = p; q < end; q += 2) {
    let c = <u32>load<u16>(q);
    if (c < 0x80) { store<u8>(w++, <u8>c); continue; }
    if (c < 0x800) {
      store<u8>(w, <u8>(0xc0 | c >> 6));
      store<u8>(w, <u8>(0x80 | c & 63), 1);
      w += 2;
      continue;
    }
    if (isPair(c, q + 2, end)) {
      c = 0x10000 + ((c & 0x3ff) << 10) + (<u32>load<u16>(q + 2) & 0x3ff);
      store<u8>(w, <u8>(0xf0 | c >> 18));
      store<u8>(w, <u8>(0x80 | (c >> 12) & 63), 1);
      store<u8>(w, <u8>(0x80 | (c >> 6) & 63), 2);
      store<u8>(w, <u8>(0x80 | c & 63), 3);
      w += 4;
      q += 2;
      continue;
    }
    store<u8>(w, <u8>(0xe0 | c >> 12));
    store<u8>(w, <u8>(0x80 | (c >> 6) & 63), 1);
    store<u8>(w, <u8>(0x80 | c & 63), 2);
    w += 3;
  }
  return w - dst;
}

/** The UTF-8 bytes of `s` in a new buffer. */
export function utf8Encode(s: string): ArrayBuffer {
  const out = changetype<ArrayBuffer>(__new(utf8Length(s), idof<ArrayBuffer>()));
  utf8Write(s, changetype<usize>(out));
  return out;
}

/** A high surrogate at the current position followed by a low one at `next`. */
@inline
function isPair(c: u32, next: usize, end: usize): bool {
  return (c & 0xfc00) == 0xd800 && next < end && (<u32>load<u16>(next) & 0xfc00) == 0xdc00;
}

// A reused area for strings that cross the ABI only for the duration of one hostcall (header
// names and values, log lines): no allocation, so no garbage per call. Single-threaded VM: no
// call overlaps another. Grown on demand; a large area is given back once a small string uses it.
let temp: usize = 0;
let tempCap: usize = 0;
let tempSecond: usize = 0;
let tempFirstLength: usize = 0;
let tempSecondLength: usize = 0;

/** Writes the UTF-8 bytes of `a` (and of `b` right after) into the reused area and returns the
 *  pointer to `a`'s bytes; lengths in tempFirstLen() / tempSecondLen(), `b` at tempSecondPtr().
 *  Valid until the next call. */
export function utf8Temp(a: string, b: string | null = null): usize {
  const la = utf8Length(a);
  const lb: usize = b === null ? 0 : utf8Length(b);
  const need = la + lb;
  if (need > tempCap || (tempCap > 16384 && need <= 1024)) {
    if (temp != 0) heap.free(temp);
    tempCap = max<usize>(need, 256);
    temp = heap.alloc(tempCap);
  }
  utf8Write(a, temp);
  if (b !== null) utf8Write(b, temp + la);
  tempSecond = temp + la;
  tempFirstLength = la;
  tempSecondLength = lb;
  return temp;
}

@inline export function tempFirstLen(): usize { return tempFirstLength; }
@inline export function tempSecondPtr(): usize { return tempSecond; }
@inline export function tempSecondLen(): usize { return tempSecondLength; }
