// Bounds-checked access to a module's linear memory, as cpp-host's V8::getMemory / setWord /
// setMemory do (src/v8/v8.cc): any pointer + size past the end (or past 4 GiB) is refused, and the
// hostcall answers InvalidMemoryAccess instead of touching the host.
//
// Hot path: the cached views are trusted while the range fits in them. memory.grow() detaches the
// old ArrayBuffer (its views read length 0), so a stale view can never pass the check; only a
// range outside the cached view re-reads memory.buffer (a V8 API call, the dominant cost when done
// on every access) and checks again. Shared memories, whose buffer is not detached on growth, take
// the same slow path for ranges beyond the old end.

const decoder = new TextDecoder();
const encoder = new TextEncoder();
const TEXT_CACHE = 256;

export class GuestMemory {
  private buf: ArrayBuffer;
  private u8: Uint8Array;
  private dv: DataView;
  // text(): the last short ASCII string seen at each slot, with its address and length.
  private readonly cachePtr = new Float64Array(TEXT_CACHE).fill(-1);
  private readonly cacheSize = new Uint8Array(TEXT_CACHE);
  private readonly cacheText: string[] = new Array<string>(TEXT_CACHE).fill("");

  constructor(readonly memory: WebAssembly.Memory) {
    this.buf = memory.buffer;
    this.u8 = new Uint8Array(this.buf);
    this.dv = new DataView(this.buf);
  }

  private refresh(): void {
    if (this.memory.buffer !== this.buf) {
      this.buf = this.memory.buffer;
      this.u8 = new Uint8Array(this.buf);
      this.dv = new DataView(this.buf);
    }
  }

  /** [ptr, ptr+size) lies inside memory (ptr and size already unsigned). */
  private fits(ptr: number, size: number): boolean {
    const end = ptr + size;
    if (end <= this.u8.length && end !== 0) return true;
    this.refresh();
    return end <= this.u8.length;
  }

  /** [ptr, ptr+size) lies inside memory (i32 arguments as the module passed them). */
  inBounds(ptr: number, size: number): boolean {
    return this.fits(ptr >>> 0, size >>> 0);
  }

  get size(): number {
    this.refresh();
    return this.u8.length;
  }

  bytes(): Uint8Array {
    this.refresh();
    return this.u8;
  }

  /** A view (no copy) of [ptr, ptr+size), or null when out of bounds. */
  view(ptr: number, size: number): Uint8Array | null {
    ptr >>>= 0; size >>>= 0;
    if (!this.fits(ptr, size)) return null;
    return this.u8.subarray(ptr, ptr + size);
  }

  /**
   * [ptr, ptr+size) decoded as UTF-8, or null when out of bounds. Short ASCII strings are built
   * without a view and remembered by (ptr, size): modules pass the same constant keys and values
   * again and again, and checking the bytes against the remembered string costs half of building
   * it. The bytes are always compared, so a reused address with new contents is decoded afresh.
   */
  text(ptr: number, size: number): string | null {
    ptr >>>= 0; size >>>= 0;
    if (!this.fits(ptr, size)) return null;
    const u8 = this.u8;
    if (size >= 48) return decoder.decode(u8.subarray(ptr, ptr + size));
    const slot = ((ptr >>> 2) ^ (ptr >>> 10) ^ size) & (TEXT_CACHE - 1);
    if (this.cachePtr[slot] === ptr && this.cacheSize[slot] === size) {
      const c = this.cacheText[slot];
      let i = 0;
      while (i < size && u8[ptr + i] === c.charCodeAt(i)) i++;
      if (i === size) return c;
    }
    let s = "";
    for (let i = ptr, end = ptr + size; i < end; i++) {
      const c = u8[i];
      if (c > 0x7f) return decoder.decode(u8.subarray(ptr, ptr + size));
      s += String.fromCharCode(c);
    }
    this.cachePtr[slot] = ptr;
    this.cacheSize[slot] = size;
    this.cacheText[slot] = s;
    return s;
  }

  /** A copy of [ptr, ptr+size), or null when out of bounds. */
  copy(ptr: number, size: number): Uint8Array | null {
    const v = this.view(ptr, size);
    return v ? v.slice() : null;
  }

  setU32(ptr: number, value: number): boolean {
    ptr >>>= 0;
    if (!this.fits(ptr, 4)) return false;
    this.dv.setUint32(ptr, value >>> 0, true);
    return true;
  }

  /** Two u32 out-params in cpp-host's order (copyToPointerSize: the pointer word, then the size
   *  word; a bad size pointer leaves the pointer word written). */
  setU32Pair(ptrA: number, a: number, ptrB: number, b: number): boolean {
    ptrA >>>= 0; ptrB >>>= 0;
    if (!this.fits(ptrA, 4)) return false;
    this.dv.setUint32(ptrA, a >>> 0, true);
    if (!this.fits(ptrB, 4)) return false;
    this.dv.setUint32(ptrB, b >>> 0, true);
    return true;
  }

  setU16(ptr: number, value: number): boolean {
    ptr >>>= 0;
    if (!this.fits(ptr, 2)) return false;
    this.dv.setUint16(ptr, value & 0xffff, true);
    return true;
  }

  setU64(ptr: number, value: bigint): boolean {
    ptr >>>= 0;
    if (!this.fits(ptr, 8)) return false;
    this.dv.setBigUint64(ptr, BigInt.asUintN(64, value), true);
    return true;
  }

  getU32(ptr: number): number | null {
    ptr >>>= 0;
    if (!this.fits(ptr, 4)) return null;
    return this.dv.getUint32(ptr, true);
  }

  write(ptr: number, data: Uint8Array): boolean {
    ptr >>>= 0;
    if (!this.fits(ptr, data.length)) return false;
    this.u8.set(data, ptr);
    return true;
  }

  /** Copies src[start, start+length) to ptr without a subarray when it is the whole of src. */
  writeRange(ptr: number, src: Uint8Array, start: number, length: number): boolean {
    ptr >>>= 0;
    if (!this.fits(ptr, length)) return false;
    this.u8.set(start === 0 && length === src.length ? src : src.subarray(start, start + length), ptr);
    return true;
  }

  /**
   * Writes s as UTF-8 at ptr; byteLength is utf8Length(s) (the caller allocated that much). ASCII
   * goes byte by byte (no TextEncoder call, no view); anything else through encodeInto.
   */
  writeText(ptr: number, s: string, byteLength: number): boolean {
    ptr >>>= 0;
    if (!this.fits(ptr, byteLength)) return false;
    const u8 = this.u8, n = s.length;
    if (n === byteLength) {
      for (let i = 0; i < n; i++) u8[ptr + i] = s.charCodeAt(i);
    } else {
      encoder.encodeInto(s, u8.subarray(ptr, ptr + byteLength));
    }
    return true;
  }

  /** The cached DataView (valid until the next call that may grow memory, e.g. an allocation). */
  dataView(): DataView {
    this.refresh();
    return this.dv;
  }
}
