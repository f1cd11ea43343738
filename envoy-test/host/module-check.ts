// Reads a wasm binary's type, import, function, memory and export sections and checks the module
// the way proxy-wasm-cpp-host does before Envoy runs it:
// - ABI version: the first function export named proxy_abi_version_0_1_0 / 0_2_0 / 0_2_1
//   (src/bytecode_util.cc BytecodeUtil::getAbiVersion), else
//   "Missing or unknown Proxy-Wasm ABI version" (src/wasm.cc WasmBase::load);
// - every function import must be a host function registered for that ABI version, with the same
//   params and results (src/v8/v8.cc V8::link; src/wasm.cc WasmBase::registerCallbacks); a global
//   import is refused as a missing import; memory and table imports are created by the host;
// - an allocator: export `malloc`, else `proxy_on_memory_allocate` (WasmBase::getFunctions);
// - every callback export (proxy_on_*, malloc, _initialize, ...) has the host's signature
//   (src/v8/v8.cc V8::getModuleFunctionImpl: "Bad function signature for: ...").
// Used by the host before instantiation, by the config validator and by test/host/host/imports.test.ts.
import { ABI_MARKERS, type AbiVersion, MODULE_CALLBACKS, type Sig, registeredImports } from "./abi.ts";

export interface ModuleImport {
  module: string; name: string; kind: "func" | "table" | "memory" | "global" | "tag"; sig?: Sig;
  /** memory (pages) and table (elements) imports: the declared limits */
  limits?: { min: number; max?: number };
}
export interface ModuleExport { name: string; kind: "func" | "table" | "memory" | "global" | "tag"; index: number; sig?: Sig }
export interface ModuleInfo {
  imports: ModuleImport[];
  exports: ModuleExport[];
  /** exported or defined memory present */
  hasMemory: boolean;
}
export interface ModuleCheck {
  ok: boolean;
  abi: AbiVersion | null;
  /** Envoy's messages, one per refusal, in the order cpp-host would meet them */
  errors: string[];
  info: ModuleInfo;
  allocator: "malloc" | "proxy_on_memory_allocate" | null;
}

const KINDS = ["func", "table", "memory", "global", "tag"] as const;

class Reader {
  pos: number;
  constructor(readonly b: Uint8Array, pos: number, readonly end: number, readonly where: string) { this.pos = pos; }
  fail(what: string): never {
    throw new Error(`Failed to parse corrupted Wasm module: ${what} at byte ${this.pos} (${this.where})`);
  }
  byte(): number {
    if (this.pos >= this.end) this.fail("unexpected end");
    return this.b[this.pos++];
  }
  u32(): number {
    let result = 0, shift = 0;
    for (;;) {
      const byte = this.byte();
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) break;
      shift += 7;
      if (shift > 28) this.fail("LEB128 integer too long");
    }
    if (result > 0xffffffff) this.fail("LEB128 integer out of range");
    return result;
  }
  name(): string {
    const n = this.u32();
    if (this.pos + n > this.end) this.fail("name runs past its section");
    const s = new TextDecoder("utf-8", { fatal: true }).decode(this.b.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }
  valtype(): string {
    const t = this.byte();
    switch (t) {
      case 0x7f: return "i";
      case 0x7e: return "I";
      case 0x7d: return "f";
      case 0x7c: return "F";
      case 0x7b: return "v";
      case 0x70: return "r";
      case 0x6f: return "e";
      default: return this.fail(`unknown value type 0x${t.toString(16)}`);
    }
  }
  limits(): { min: number; max?: number } {
    const flags = this.byte();
    const min = this.u32();
    return flags & 1 ? { min, max: this.u32() } : { min };
  }
}

/** Parses the sections the checks need. Throws "Failed to parse corrupted Wasm module: ..." on bad bytes. */
export function parseModule(bytes: Uint8Array): ModuleInfo {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new Error("Failed to parse corrupted Wasm module: no \\0asm header");
  }
  const types: Sig[] = [];
  const imports: ModuleImport[] = [];
  const funcTypes: number[] = []; // function index space -> type index
  const exports: ModuleExport[] = [];
  let hasMemory = false;
  let pos = 8;
  while (pos < bytes.length) {
    const head = new Reader(bytes, pos, bytes.length, "section header");
    const id = head.byte();
    const len = head.u32();
    const start = head.pos, end = start + len;
    if (end > bytes.length) head.fail(`section ${id} length ${len} runs past the end`);
    const r = new Reader(bytes, start, end, `section ${id}`);
    if (id === 1) {
      for (let n = r.u32(); n > 0; n--) {
        const form = r.byte();
        if (form !== 0x60) r.fail(`type form 0x${form.toString(16)} is not a function type`);
        let p = "", q = "";
        for (let k = r.u32(); k > 0; k--) p += r.valtype();
        for (let k = r.u32(); k > 0; k--) q += r.valtype();
        types.push(`${p}:${q}`);
      }
    } else if (id === 2) {
      for (let n = r.u32(); n > 0; n--) {
        const module = r.name(), name = r.name();
        const kind = r.byte();
        if (kind === 0) {
          const ti = r.u32();
          if (ti >= types.length) r.fail(`import ${module}.${name} names type ${ti} of ${types.length}`);
          imports.push({ module, name, kind: "func", sig: types[ti] });
          funcTypes.push(ti);
        } else if (kind === 1) { r.valtype(); imports.push({ module, name, kind: "table", limits: r.limits() }); }
        else if (kind === 2) { imports.push({ module, name, kind: "memory", limits: r.limits() }); hasMemory = true; }
        else if (kind === 3) { r.valtype(); r.byte(); imports.push({ module, name, kind: "global" }); }
        else if (kind === 4) { r.byte(); r.u32(); imports.push({ module, name, kind: "tag" }); }
        else r.fail(`import ${module}.${name} has unknown kind ${kind}`);
      }
    } else if (id === 3) {
      for (let n = r.u32(); n > 0; n--) funcTypes.push(r.u32());
    } else if (id === 5) {
      if (r.u32() > 0) hasMemory = true;
    } else if (id === 7) {
      for (let n = r.u32(); n > 0; n--) {
        const name = r.name();
        const k = r.byte();
        const index = r.u32();
        const kind = KINDS[k];
        if (!kind) r.fail(`export ${name} has unknown kind ${k}`);
        const sig = kind === "func" ? types[funcTypes[index]] : undefined;
        exports.push({ name, kind, index, sig });
      }
    }
    pos = end;
  }
  return { imports, exports, hasMemory };
}

/** Checks a module as proxy-wasm-cpp-host would before running it in Envoy. */
export function checkModule(bytes: Uint8Array): ModuleCheck {
  let info: ModuleInfo;
  try {
    info = parseModule(bytes);
  } catch (e) {
    return { ok: false, abi: null, errors: [(e as Error).message], info: { imports: [], exports: [], hasMemory: false }, allocator: null };
  }
  const errors: string[] = [];
  let abi: AbiVersion | null = null;
  for (const e of info.exports) {
    if (e.kind === "func" && ABI_MARKERS[e.name]) { abi = ABI_MARKERS[e.name]; break; }
  }
  if (!abi) errors.push("Missing or unknown Proxy-Wasm ABI version");
  else {
    const registered = registeredImports(abi);
    for (const imp of info.imports) {
      const where = `${imp.module}.${imp.name}`;
      if (imp.kind === "memory" || imp.kind === "table") continue;
      const sig = imp.kind === "func" ? registered.get(imp.module)?.get(imp.name) : undefined;
      if (sig === undefined) {
        errors.push(`Failed to load Wasm module due to a missing import: ${where}`);
      } else if (sig !== imp.sig) {
        errors.push(`Failed to load Wasm module due to an import type mismatch: ${where}, want: ${printSig(imp.sig!)}, but host exports: ${printSig(sig)}`);
      }
    }
  }
  // WasmBase::getFunctions looks each callback up by name; V8::getModuleFunctionImpl refuses an
  // export whose signature differs from the host's (the callback is then unset and the VM failed),
  // so initialize() fails: "Failed to initialize Wasm code" (WasmHandleBase::canary, createWasm).
  const funcs = new Map<string, Sig>();
  for (const e of info.exports) if (e.kind === "func" && e.sig !== undefined && !funcs.has(e.name)) funcs.set(e.name, e.sig);
  let badSignatures = 0;
  const lookUp = (name: string): boolean => {
    const sig = funcs.get(name);
    if (sig === undefined) return false;
    const want = abi === "0_1_0" && ABI_01_CALLBACKS[name] ? ABI_01_CALLBACKS[name] : MODULE_CALLBACKS[name];
    if (sig === want) return true;
    errors.push(`Bad function signature for: ${name}, want: ${printSig(want)}, but the module exports: ${printSig(sig)}`);
    badSignatures++;
    return false;
  };
  if (lookUp("_initialize")) { lookUp("main"); lookUp("__main_void"); }
  else lookUp("_start");
  const allocator = lookUp("malloc") ? "malloc" : lookUp("proxy_on_memory_allocate") ? "proxy_on_memory_allocate" : null;
  if (!allocator) errors.push("Wasm module is missing malloc function.");
  for (const name of Object.keys(MODULE_CALLBACKS)) {
    if (NOT_CALLBACKS.has(name) || (name === "proxy_on_foreign_function" && abi === "0_1_0")) continue;
    lookUp(name);
  }
  if (badSignatures > 0) errors.push("Failed to initialize Wasm code");
  return { ok: errors.length === 0, abi, errors, info, allocator };
}

/** Looked up before the callbacks, in getFunctions' own order (above). */
const NOT_CALLBACKS = new Set(["_initialize", "main", "__main_void", "_start", "malloc", "proxy_on_memory_allocate"]);
/** ABI 0.1.0's header callbacks have no end_of_stream (on_request_headers_abi_01_, include/proxy-wasm/wasm.h). */
const ABI_01_CALLBACKS: Record<string, Sig> = { proxy_on_request_headers: "ii:i", proxy_on_response_headers: "ii:i" };

const TYPE_NAMES: Record<string, string> = { i: "i32", I: "i64", f: "f32", F: "f64", v: "v128", r: "funcref", e: "externref" };
/** cpp-host's printValTypes style: "i32 i64 -> i32". */
export function printSig(sig: Sig): string {
  const [p, q] = sig.split(":");
  const list = (s: string) => (s.length ? [...s].map((c) => TYPE_NAMES[c] ?? c).join(" ") : "void");
  return `${list(p)} -> ${list(q)}`;
}
