// The linear-memory cap of one VM, as proxy-wasm-cpp-host sets it for V8: the engine runs with
// --wasm_max_mem_pages = PROXY_WASM_HOST_MAX_WASM_MEMORY_SIZE_BYTES / 64 KiB (1 GiB by default;
// include/proxy-wasm/limits.h, src/v8/v8.cc engine()). Past it `memory.grow` returns -1 (the
// module's allocator then fails as it would on an exhausted machine, typically by trapping), and
// a module whose memory starts above it does not load. Node's V8 has no such flag per instance, so
// the module's own memory declaration gets that maximum (min(declared, cap)) before compiling;
// memories the host creates for a memory import get it too (host.ts).

/** cpp-host's default cap: PROXY_WASM_HOST_MAX_WASM_MEMORY_SIZE_BYTES. */
export const DEFAULT_MAX_MEMORY_BYTES = 1024 * 1024 * 1024;
export const PAGE_BYTES = 64 * 1024;

function readU32(b: Uint8Array, pos: number): [number, number] {
  let result = 0, shift = 0;
  for (;;) {
    const byte = b[pos++];
    if (byte === undefined) throw new Error("Failed to parse corrupted Wasm module: LEB128 runs past the end");
    result += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [result, pos];
    shift += 7;
  }
}

function writeU32(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/**
 * The module with each defined 32-bit memory given at most `maxPages` as its maximum. Throws V8's
 * refusal when a memory's initial size is already above the cap.
 */
export function capModuleMemory(bytes: Uint8Array, maxPages: number): Uint8Array {
  let pos = 8;
  while (pos < bytes.length) {
    const id = bytes[pos];
    const [len, start] = readU32(bytes, pos + 1);
    const end = start + len;
    if (id !== 5) { pos = end; continue; }
    let p = start;
    const [count, afterCount] = readU32(bytes, p);
    p = afterCount;
    const limits: number[] = [...writeU32(count)];
    let changed = false;
    for (let i = 0; i < count; i++) {
      const flags = bytes[p++];
      if (flags & 4) return bytes; // memory64: not capped here (cpp-host runs wasm32 modules)
      const [min, afterMin] = readU32(bytes, p);
      p = afterMin;
      let max: number | undefined;
      if (flags & 1) { const [m, afterMax] = readU32(bytes, p); max = m; p = afterMax; }
      if (min > maxPages) {
        throw new Error(`initial memory size (${min} pages) is larger than implementation limit (${maxPages} pages)`);
      }
      const capped = max === undefined || max > maxPages ? maxPages : max;
      if (capped !== max) changed = true;
      limits.push(flags | 1, ...writeU32(min), ...writeU32(capped));
    }
    if (!changed) return bytes;
    const section = [5, ...writeU32(limits.length), ...limits];
    const out = new Uint8Array(pos + section.length + (bytes.length - end));
    out.set(bytes.subarray(0, pos), 0);
    out.set(section, pos);
    out.set(bytes.subarray(end), pos + section.length);
    return out;
  }
  return bytes;
}
