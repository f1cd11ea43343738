// Bounds-checked access to a module's linear memory, as cpp-host's V8::getMemory / setWord /
// setMemory do (src/v8/v8.cc): any pointer + size past the end (or past 4 GiB) is refused, and the
// hostcall answers InvalidMemoryAccess instead of touching the host. Views are cached and rebuilt
// only when memory.grow() has replaced memory.buffer.

const decoder = new TextDecoder();

export class GuestMemory {
  private buf: ArrayBuffer;
  private u8: Uint8Array;
  private dv: DataView;

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
    this.refresh();
    ptr >>>= 0; size >>>= 0;
    if (ptr + size > this.u8.length) return null;
    return this.u8.subarray(ptr, ptr + size);
  }

  /** [ptr, ptr+size) decoded as UTF-8 (short ASCII without allocating a view), or null when out of bounds. */
  text(ptr: number, size: number): string | null {
    this.refresh();
    ptr >>>= 0; size >>>= 0;
    const u8 = this.u8;
    if (ptr + size > u8.length) return null;
    if (size < 48) {
      let s = "";
      for (let i = ptr, end = ptr + size; i < end; i++) {
        const c = u8[i];
        if (c > 0x7f) return decoder.decode(u8.subarray(ptr, ptr + size));
        s += String.fromCharCode(c);
      }
      return s;
    }
    return decoder.decode(u8.subarray(ptr, ptr + size));
  }

  /** A copy of [ptr, ptr+size), or null when out of bounds. */
  copy(ptr: number, size: number): Uint8Array | null {
    const v = this.view(ptr, size);
    return v ? v.slice() : null;
  }

  setU32(ptr: number, value: number): boolean {
    this.refresh();
    ptr >>>= 0;
    if (ptr + 4 > this.u8.length) return false;
    this.dv.setUint32(ptr, value >>> 0, true);
    return true;
  }

  setU16(ptr: number, value: number): boolean {
    this.refresh();
    ptr >>>= 0;
    if (ptr + 2 > this.u8.length) return false;
    this.dv.setUint16(ptr, value & 0xffff, true);
    return true;
  }

  setU64(ptr: number, value: bigint): boolean {
    this.refresh();
    ptr >>>= 0;
    if (ptr + 8 > this.u8.length) return false;
    this.dv.setBigUint64(ptr, BigInt.asUintN(64, value), true);
    return true;
  }

  getU32(ptr: number): number | null {
    this.refresh();
    ptr >>>= 0;
    if (ptr + 4 > this.u8.length) return null;
    return this.dv.getUint32(ptr, true);
  }

  write(ptr: number, data: Uint8Array): boolean {
    this.refresh();
    ptr >>>= 0;
    if (ptr + data.length > this.u8.length) return false;
    this.u8.set(data, ptr);
    return true;
  }
}
