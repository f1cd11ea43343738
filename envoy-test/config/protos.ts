// Envoy's v3 API protos, loaded with protobufjs, once per process and lazily.
//
// Source of the .proto files: the npm package @grpc/grpc-js-xds ships a July 2024 snapshot of
// envoyproxy/envoy api/ (deps/envoy-api), cncf/xds (deps/xds), protoc-gen-validate and
// googleapis. The google/protobuf well-known types come from protobufjs itself.
// Some files import protos the package does not ship (opencensus, opentelemetry); they are left
// out, with everything that imports them (tracing providers, metrics service), which no
// configuration written by this project uses.
//
// Loading all ~350 v3 files takes about a second; the bootstrap and what it imports take a
// tenth of that. So the Root starts with the bootstrap, and the file defining any other message
// (an Any's @type, a typed_config) is loaded the first time that message is asked for, found
// through an index of every file's package and top-level messages.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, sep } from "node:path";
import protobuf from "protobufjs";

const require = createRequire(import.meta.url);

export const BOOTSTRAP_TYPE = "envoy.config.bootstrap.v3.Bootstrap";
const START_FILES = ["envoy/config/bootstrap/v3/bootstrap.proto"];
const EXTRA_FILES = ["xds/type/v3/typed_struct.proto", "udpa/type/v1/typed_struct.proto"];
/** Well-known types an Any may name; protobufjs provides them. */
const WELL_KNOWN = ["any", "duration", "empty", "field_mask", "struct", "timestamp", "wrappers"].map((n) => `google/protobuf/${n}.proto`);

/** Import roots in protoc's -I order. */
function includeDirs(): string[] {
  const deps = join(dirname(require.resolve("@grpc/grpc-js-xds/package.json")), "deps");
  return [
    join(deps, "envoy-api"),
    join(deps, "xds"),
    join(deps, "protoc-gen-validate"),
    join(deps, "googleapis"),
    dirname(require.resolve("protobufjs/package.json")),
  ];
}

function listProtos(dir: string, out: string[]): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) listProtos(p, out);
    else if (e.name.endsWith(".proto")) out.push(p);
  }
  return out;
}

/** protobufjs has these built in (google/protobuf/{any,duration,struct,wrappers,...}.proto). */
const BUILTIN = new Set(Object.keys((protobuf as unknown as { common: Record<string, unknown> }).common ?? {}));

interface FileInfo { path: string | null; imports: string[] }

class ProtoSet {
  readonly root = new protobuf.Root();
  private readonly dirs = includeDirs();
  private readonly files = new Map<string, FileInfo>();
  private readonly loadableMemo = new Map<string, boolean>();
  /** message/enum full name (top level) -> file that defines it */
  private readonly types = new Map<string, string>();

  constructor() {
    const envoyApi = this.dirs[0];
    const v3 = listProtos(join(envoyApi, "envoy"), [])
      .map((p) => relative(envoyApi, p).split(sep).join("/"))
      .filter((f) => /\/v3\//.test(f));
    for (const f of [...v3, ...EXTRA_FILES]) {
      const path = this.resolve(f);
      if (!path) continue;
      const src = readFileSync(path, "utf8");
      this.info(f, src);
      const pkg = /^package\s+([\w.]+)\s*;/m.exec(src)?.[1] ?? "";
      for (const m of src.matchAll(/^(?:message|enum)\s+(\w+)/gm)) this.types.set(`${pkg}.${m[1]}`, f);
    }
    this.root.resolvePath = (_origin: string, target: string): string => this.resolve(target) ?? target;
    this.load([...START_FILES, ...EXTRA_FILES, ...WELL_KNOWN]);
  }

  private resolve(target: string): string | null {
    for (const d of this.dirs) {
      const p = join(d, target);
      if (existsSync(p)) return p;
    }
    return BUILTIN.has(target) ? target : null;
  }

  private info(file: string, text?: string): FileInfo {
    let info = this.files.get(file);
    if (!info) {
      const path = this.resolve(file);
      const imports: string[] = [];
      if (path && path !== file) {
        const src = text ?? readFileSync(path, "utf8");
        for (const m of src.matchAll(/^\s*import\s+(?:public\s+|weak\s+)?"([^"]+)"\s*;/gm)) imports.push(m[1]);
      }
      info = { path, imports };
      this.files.set(file, info);
    }
    return info;
  }

  /** True when the file and everything it imports (transitively) exists. */
  private loadable(file: string): boolean {
    const known = this.loadableMemo.get(file);
    if (known !== undefined) return known;
    this.loadableMemo.set(file, true); // cycles: assume fine until proven otherwise
    const info = this.info(file);
    const ok = info.path !== null && info.imports.every((i) => this.loadable(i));
    this.loadableMemo.set(file, ok);
    return ok;
  }

  private load(files: string[]): void {
    const wanted = files.filter((f) => this.loadable(f));
    if (!wanted.length) return;
    this.root.loadSync(wanted, { keepCase: true });
    this.root.resolveAll();
  }

  /** The message type of that full name, loading its file on first use; null when unknown. */
  lookupType(name: string): protobuf.Type | null {
    const found = this.root.lookup(name);
    if (found instanceof protobuf.Type) return found;
    if (found) return null;
    // A nested message lives in the file of its outermost message.
    const parts = name.split(".");
    for (let n = parts.length; n > 0; n--) {
      const file = this.types.get(parts.slice(0, n).join("."));
      if (file) {
        this.load([file]);
        const t = this.root.lookup(name);
        return t instanceof protobuf.Type ? t : null;
      }
    }
    return null;
  }

  /** Loads every loadable v3 file (for tools that walk the whole API). */
  loadAll(): protobuf.Root {
    this.load([...new Set(this.types.values())]);
    return this.root;
  }
}

let cached: ProtoSet | null = null;
function protoSet(): ProtoSet {
  return (cached ??= new ProtoSet());
}

/** A message type of Envoy's v3 API (or xds/udpa, google.protobuf) by full name; null when unknown. */
export function lookupEnvoyType(name: string): protobuf.Type | null {
  return protoSet().lookupType(name.replace(/^\./, ""));
}

/** The Root with every loadable message of the snapshot (slow: loads all files). */
export function envoyRoot(): protobuf.Root {
  return protoSet().loadAll();
}
