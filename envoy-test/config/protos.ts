// Envoy's v3 API protos, loaded once per process with protobufjs.
//
// Source of the .proto files: the npm package @grpc/grpc-js-xds ships a July 2024 snapshot of
// envoyproxy/envoy api/ (deps/envoy-api), cncf/xds (deps/xds), protoc-gen-validate and
// googleapis. The google/protobuf well-known types come from protobufjs itself.
// Some files import protos the package does not ship (opencensus, opentelemetry); they are left
// out, with everything that imports them (tracing providers, metrics service), which no
// configuration written by this project uses.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, sep } from "node:path";
import protobuf from "protobufjs";

const require = createRequire(import.meta.url);

function depsDir(): string {
  const pkg = require.resolve("@grpc/grpc-js-xds/package.json");
  return join(dirname(pkg), "deps");
}

function protobufjsDir(): string {
  return dirname(require.resolve("protobufjs/package.json"));
}

/** Import roots in protoc's -I order. */
function includeDirs(): string[] {
  const deps = depsDir();
  return [
    join(deps, "envoy-api"),
    join(deps, "xds"),
    join(deps, "protoc-gen-validate"),
    join(deps, "googleapis"),
    protobufjsDir(),
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

function resolveImport(dirs: string[], target: string): string | null {
  for (const d of dirs) {
    const p = join(d, target);
    if (existsSync(p)) return p;
  }
  if (BUILTIN.has(target)) return target;
  return null;
}

/** True when the file and everything it imports (transitively) exists. */
function loadable(dirs: string[], file: string, memo: Map<string, boolean>): boolean {
  const known = memo.get(file);
  if (known !== undefined) return known;
  memo.set(file, true); // cycles: assume fine until proven otherwise
  const path = resolveImport(dirs, file);
  let ok = path !== null;
  if (ok && path !== file) {
    const src = readFileSync(path!, "utf8");
    for (const m of src.matchAll(/^\s*import\s+(?:public\s+|weak\s+)?"([^"]+)"\s*;/gm)) {
      if (!loadable(dirs, m[1], memo)) { ok = false; break; }
    }
  }
  memo.set(file, ok);
  return ok;
}

let cached: protobuf.Root | null = null;

/**
 * The Root holding every loadable envoy v3 message (bootstrap, listeners, clusters, routes and
 * every extension in the snapshot, so any typed_config @type resolves), plus xds/udpa
 * TypedStruct. Field names keep their proto spelling (keepCase); camelCase json names are
 * derived by the validator.
 */
export function envoyRoot(): protobuf.Root {
  if (cached) return cached;
  const dirs = includeDirs();
  const envoyApi = dirs[0];
  const memo = new Map<string, boolean>();
  const wanted = listProtos(join(envoyApi, "envoy"), [])
    .map((p) => relative(envoyApi, p).split(sep).join("/"))
    .filter((f) => /\/v3\//.test(f) || f.startsWith("envoy/annotations/"))
    .concat(["xds/type/v3/typed_struct.proto", "udpa/type/v1/typed_struct.proto"])
    .filter((f) => loadable(dirs, f, memo));
  const root = new protobuf.Root();
  root.resolvePath = (_origin: string, target: string): string => resolveImport(dirs, target) ?? target;
  root.loadSync(wanted, { keepCase: true });
  root.resolveAll();
  cached = root;
  return root;
}

export const BOOTSTRAP_TYPE = "envoy.config.bootstrap.v3.Bootstrap";
