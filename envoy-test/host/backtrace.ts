// The in-VM backtrace of a trap, as proxy-wasm-cpp-host's V8 engine writes it
// (src/v8/v8.cc V8::getFailMessage): only when the module has a name section (its function names
// are read at load, getFunctionNameIndex), one line per wasm frame, innermost first:
//   "Proxy-Wasm plugin in-VM backtrace:\n  0:  0x1a2b - name" ("unknown(function index:N)" without one).
// Node's V8 gives the same frames in the error's stack: "wasm-function[INDEX]:0xOFFSET".

/** Function index -> name, from the "name" custom section (subsection 1); empty without one. */
export function functionNames(module: WebAssembly.Module): Map<number, string> {
  const names = new Map<number, string>();
  const sections = WebAssembly.Module.customSections(module, "name");
  if (!sections.length) return names;
  const b = new Uint8Array(sections[0]);
  let p = 0;
  const leb = (): number => {
    let r = 0, shift = 0, byte: number;
    do { byte = b[p++]; r += (byte & 0x7f) * 2 ** shift; shift += 7; } while (byte & 0x80 && p < b.length);
    return r;
  };
  const text = new TextDecoder();
  try {
    while (p < b.length) {
      const id = b[p++];
      const size = leb();
      const end = p + size;
      if (id === 1) {
        for (let n = leb(); n > 0 && p < end; n--) {
          const index = leb();
          const len = leb();
          names.set(index, text.decode(b.subarray(p, p + len)));
          p += len;
        }
      }
      p = end;
    }
  } catch { /* a truncated name section: keep the names read so far */ }
  return names;
}

/** The wasm frames of an error's stack: [function index, module offset], innermost first. */
export function wasmFrames(err: unknown): [number, number][] {
  const stack = err instanceof Error && typeof err.stack === "string" ? err.stack : "";
  const frames: [number, number][] = [];
  for (const m of stack.matchAll(/wasm-function\[(\d+)\]:0x([0-9a-f]+)/g)) frames.push([Number(m[1]), parseInt(m[2], 16)]);
  return frames;
}

/** "\nProxy-Wasm plugin in-VM backtrace:..." for a trap, or "" when the module has no names. */
export function formatBacktrace(names: Map<number, string>, err: unknown): string {
  if (!names.size) return "";
  let out = "\nProxy-Wasm plugin in-VM backtrace:";
  wasmFrames(err).forEach(([index, offset], i) => {
    out += `\n${String(i).padStart(3, " ")}:  0x${offset.toString(16)} - ${names.get(index) ?? `unknown(function index:${index})`}`;
  });
  return out;
}

/**
 * A trap, as a test sees it with `new Host({ throwOnTrap: true })`: Envoy's fail message (with the
 * backtrace in a --debug build) and the filter's last log lines before it, in one error.
 */
export class PluginTrapError extends Error {
  constructor(readonly failMessage: string, readonly lastLogs: string[]) {
    super(failMessage + (lastLogs.length ? `\nlast log lines of the VM before the trap:\n${lastLogs.map((l) => `  ${l}`).join("\n")}` : ""));
    this.name = "PluginTrapError";
  }
}
