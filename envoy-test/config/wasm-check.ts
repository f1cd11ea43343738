// Checks of a Wasm PluginConfig that Envoy makes when it creates the filter
// (source/extensions/common/wasm/wasm.cc createWasm / PluginConfig, and proxy-wasm-cpp-host
// src/wasm.cc WasmBase::load/initialize, WasmBase::start, WasmBase::configure):
// - the runtime is one Envoy registers (api/envoy/extensions/wasm/v3/wasm.proto VmConfig.runtime:
//   envoy.wasm.runtime.v8, .null, .wamr, .wavm, .wasmtime; official images ship v8);
// - code.local.filename exists and the module passes cpp-host's load checks (ABI marker, every
//   import registered with its signature, an allocator): envoy-test/host/module-check.ts;
// - the root id is registered by the module and proxy_on_configure accepts the configuration:
//   "when on_start or on_configuration return false on initial startup the proxy will not start"
//   (wasm.proto PluginConfig.fail_open), so the module itself is asked, in envoy-test/host.
import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { dig, get, type Obj } from "./fields.ts";
import type { ConfigProblem } from "./schema.ts";

export const WASM_RUNTIMES = ["envoy.wasm.runtime.v8", "envoy.wasm.runtime.null", "envoy.wasm.runtime.wamr", "envoy.wasm.runtime.wasmtime", "envoy.wasm.runtime.wavm"];

export interface WasmCheckOptions {
  /** Directory relative filenames are resolved against (Envoy: its working directory). */
  baseDir: string;
  /** Run the module (on_configure) in envoy-test/host; default true. */
  runModules: boolean;
  /** Maps the filename the proxy sees to the local file to check. */
  localPath?: (filename: string) => string;
}

const moduleCheckCache = new Map<string, string[]>();

async function moduleErrors(file: string, bytes: Uint8Array): Promise<string[] | null> {
  const cached = moduleCheckCache.get(file);
  if (cached) return cached;
  let check: ((b: Uint8Array) => { errors: string[] }) | null = null;
  try {
    check = (await import("../host/module-check.ts")).checkModule;
  } catch {
    return null; // module-check.ts not present: the import check is skipped (warned by the caller)
  }
  const errors = check(bytes).errors;
  moduleCheckCache.set(file, errors);
  return errors;
}

/** The bare configuration string Envoy hands to proxy_on_configure, when it can be known. */
export function pluginConfigurationString(config: Obj): string | null | undefined {
  const any = get(config, "configuration");
  if (any === undefined) return "";
  const type = String(any["@type"] ?? "");
  const name = type.slice(type.lastIndexOf("/") + 1);
  // A StringValue arrives unwrapped (source/extensions/common/wasm/wasm.cc, anyToBytes).
  if (name === "google.protobuf.StringValue") return typeof any.value === "string" ? any.value : null;
  if (name === "google.protobuf.BytesValue") return typeof any.value === "string" ? Buffer.from(any.value, "base64").toString("utf8") : null;
  // "google.protobuf.Struct is serialized as JSON before passing it to the plugin" (wasm.proto).
  if (name === "google.protobuf.Struct") return any.value && typeof any.value === "object" ? JSON.stringify(any.value) : null;
  return undefined; // another type: Envoy passes its serialized bytes; not run here
}

export async function checkWasmPlugin(
  config: Obj, path: string, kind: "http" | "network", opts: WasmCheckOptions,
  errors: ConfigProblem[], warnings: ConfigProblem[],
): Promise<void> {
  const vm = dig(config, path, ["vm_config"]);
  if (!vm) return; // schema check reports the missing vm
  const runtime = dig(vm.value, vm.path, ["runtime"]);
  if (runtime && !WASM_RUNTIMES.includes(runtime.value)) {
    errors.push({ path: runtime.path, message: `unknown Wasm runtime "${runtime.value}" (Envoy registers ${WASM_RUNTIMES.join(", ")}; use envoy.wasm.runtime.v8)` });
  } else if (!runtime) {
    // Envoy since 1.2x picks the first runtime built in (v8 in official images); older ones refuse.
    warnings.push({ path: `${vm.path}.runtime`, message: "no Wasm runtime given: Envoy picks its first built-in runtime (v8); set envoy.wasm.runtime.v8 to be explicit" });
  }
  const local = dig(vm.value, vm.path, ["code", "local", "filename"]);
  if (!local) {
    if (dig(vm.value, vm.path, ["code", "remote"])) warnings.push({ path: `${vm.path}.code.remote`, message: "remote Wasm code is not fetched or checked here" });
    return;
  }
  const mapped = opts.localPath ? opts.localPath(local.value) : local.value;
  const file = isAbsolute(mapped) ? mapped : resolve(opts.baseDir, mapped);
  if (!existsSync(file)) {
    errors.push({ path: local.path, message: `Wasm module not found: ${local.value} (resolved to ${file}; build it with npm run build)` });
    return;
  }
  const bytes = new Uint8Array(readFileSync(file));
  const modErrors = await moduleErrors(file, bytes);
  if (modErrors === null) {
    warnings.push({ path: local.path, message: "import check skipped: envoy-test/host/module-check.ts is not available" });
  } else if (modErrors.length) {
    for (const m of modErrors) errors.push({ path: local.path, message: `${local.value}: ${m}` });
    return;
  }
  if (!opts.runModules) return;
  const configuration = pluginConfigurationString(config);
  const confPath = `${path}.configuration`;
  if (configuration === undefined) {
    warnings.push({ path: confPath, message: "configuration is not a StringValue: not passed to the module here" });
    return;
  }
  if (configuration === null) return; // schema reports the wrong form
  const rootId = String(get(config, "root_id") ?? "");
  await runOnConfigure(bytes, { rootId, vmId: String(get(vm.value, "vm_id") ?? ""), configuration, kind, path, file: local.value }, errors, warnings);
}

interface RunSpec { rootId: string; vmId: string; configuration: string; kind: "http" | "network"; path: string; file: string }

async function runOnConfigure(bytes: Uint8Array, s: RunSpec, errors: ConfigProblem[], warnings: ConfigProblem[]): Promise<void> {
  let hostMod: any;
  try {
    hostMod = await import("../host/index.ts");
  } catch (e) {
    warnings.push({ path: s.path, message: `root id and configuration not checked: envoy-test/host failed to load (${(e as Error).message})` });
    return;
  }
  const logs: string[] = [];
  let host: any;
  try {
    // The module's own reasons: what it logged at warn and above while starting.
    const keep = new Set(["warn", "error", "critical"]);
    host = new hostMod.Host({ onLog: (e: { level?: string; message?: string }) => { if (keep.has(String(e.level))) logs.push(`${e.message ?? ""}`); } });
  } catch (e) {
    warnings.push({ path: s.path, message: `root id and configuration not checked: ${(e as Error).message}` });
    return;
  }
  let failure: string | null = null;
  try {
    const plugin = await host.loadPlugin({
      wasm: bytes, rootId: s.rootId, vmId: s.vmId, configuration: s.configuration, workers: 1, kind: s.kind,
    });
    if (plugin?.failed) failure = "the module trapped while starting";
    try { plugin?.shutdown?.(); } catch { /* the check is over */ }
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    if (/not implemented yet/.test(msg)) {
      warnings.push({ path: s.path, message: "root id and configuration not checked: envoy-test/host cannot run modules yet" });
      return;
    }
    failure = msg;
  }
  if (failure === null) return;
  const detail = [failure, ...logs.filter((l) => l && !failure!.includes(l))].join("; ");
  const rootIdProblem = /no root context|root[ _-]?id/i.test(detail);
  errors.push({
    path: rootIdProblem ? `${s.path}.root_id` : `${s.path}.configuration`,
    message: rootIdProblem
      ? `${s.file} has no root context "${s.rootId}": ${detail}`
      : `${s.file} (root id "${s.rootId}") rejected its configuration: ${detail}`,
  });
}
