// cpp-host's "restricted callbacks": while the VM starts (_initialize, main) and while it runs
// malloc for the host, only a few host functions may be called; any other traps with
// "restricted_callback" (src/wasm.cc WasmBase::startVm and include/proxy-wasm/wasm.h allocMemory
// call setRestrictedCallback; src/v8/v8.cc checks isHostFunctionAllowed). A module that, say,
// defines a metric in a top-level statement fails to load in Envoy, so it fails here too.
import type { Phase, WasmVm } from "./vm.ts";

export type { Phase };

const START_WASI = new Set([
  "fd_write", "args_sizes_get", "args_get", "environ_sizes_get", "environ_get", "clock_time_get", "clock_res_get",
  "random_get", "poll_oneoff", "fd_fdstat_get", "fd_fdstat_set_flags", "fd_advise", "fd_allocate", "fd_datasync",
  "fd_fdstat_set_rights", "fd_filestat_get", "fd_filestat_set_size", "fd_filestat_set_times", "fd_pread",
  "fd_prestat_dir_name", "fd_prestat_get", "fd_pwrite", "fd_readdir", "fd_renumber", "fd_sync", "fd_tell",
  "path_create_directory", "path_filestat_get", "path_filestat_set_times", "path_link", "path_readlink",
  "path_remove_directory", "path_rename", "path_symlink", "path_unlink_file", "sock_accept", "sock_recv",
  "sock_send", "sock_shutdown",
]);
const ALLOWED: Record<Phase, { env: Set<string>; wasi: Set<string> }> = {
  start: { env: new Set(["proxy_log", "emscripten_notify_memory_growth"]), wasi: START_WASI },
  malloc: { env: new Set(["proxy_log"]), wasi: new Set(["fd_write", "clock_time_get", "poll_oneoff"]) },
};

export function allowed(phase: Phase, module: string, name: string): boolean {
  const a = ALLOWED[phase];
  return (module === "env" ? a.env : a.wasi).has(name);
}

type Fn = (...args: never[]) => unknown;

/**
 * Wraps a module's host functions with the restriction check (and an optional call counter).
 * Fixed-arity wrappers keep the call path monomorphic; outside the restricted phases the check is
 * one comparison (vm.restricted === null), and without counting there is no Map access per call.
 */
export function wrapImports(vm: WasmVm, module: string, fns: Record<string, Fn>, counts: Map<string, number> | null): Record<string, Fn> {
  const out: Record<string, Fn> = {};
  for (const [name, f] of Object.entries(fns)) {
    const okStart = allowed("start", module, name), okMalloc = allowed("malloc", module, name);
    const refuse = (phase: Phase): void => {
      if (!(phase === "start" ? okStart : okMalloc)) {
        throw new WebAssembly.RuntimeError(`restricted_callback (${module}.${name} called during ${phase === "start" ? "VM start" : "malloc"})`);
      }
    };
    const g = counts ? counted(f as (...a: unknown[]) => unknown, name, counts) : f as (...a: unknown[]) => unknown;
    switch (f.length) {
      case 0: out[name] = (() => { if (vm.restricted !== null) refuse(vm.restricted); return g(); }) as Fn; break;
      case 1: out[name] = ((a: unknown) => { if (vm.restricted !== null) refuse(vm.restricted); return g(a); }) as Fn; break;
      case 2: out[name] = ((a: unknown, b: unknown) => { if (vm.restricted !== null) refuse(vm.restricted); return g(a, b); }) as Fn; break;
      case 3: out[name] = ((a: unknown, b: unknown, c: unknown) => { if (vm.restricted !== null) refuse(vm.restricted); return g(a, b, c); }) as Fn; break;
      case 4: out[name] = ((a: unknown, b: unknown, c: unknown, d: unknown) => { if (vm.restricted !== null) refuse(vm.restricted); return g(a, b, c, d); }) as Fn; break;
      case 5: out[name] = ((a: unknown, b: unknown, c: unknown, d: unknown, e: unknown) => { if (vm.restricted !== null) refuse(vm.restricted); return g(a, b, c, d, e); }) as Fn; break;
      default: out[name] = ((...a: unknown[]) => { if (vm.restricted !== null) refuse(vm.restricted); return g(...a); }) as Fn;
    }
  }
  return out;
}

/** f, counting its calls in counts (after the restriction check passed, as before). */
function counted(f: (...a: unknown[]) => unknown, name: string, counts: Map<string, number>): (...a: unknown[]) => unknown {
  return (...a: unknown[]) => {
    counts.set(name, (counts.get(name) ?? 0) + 1);
    return f(...a);
  };
}
