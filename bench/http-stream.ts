// HTTP stream lifecycle benchmarks in envoy-test/host, one worker VM per module:
//   hostcalls per lifecycle, CPU time per lifecycle, linear memory after many lifecycles.
// A lifecycle is what Envoy's HCM does for a request through one wasm filter: context create,
// on_request_headers, on_response_headers, then on_log, on_done, on_delete.
import type { HeaderList, Host, Plugin } from "../envoy-test/host/index.ts";
import { benchPlugin, interleavedMedians, ratio, table, target, type Target } from "./lib.ts";
import type { AddHeaderModule } from "./peers.ts";

// A browser GET as Envoy's codec hands it over (lower-case names, pseudo-headers first).
export const REQUEST: HeaderList = [
  [":method", "GET"], [":scheme", "https"], [":authority", "app.example.com"], [":path", "/api/v1/items?page=2"],
  ["user-agent", "Mozilla/5.0 (X11; Linux x86_64)"], ["accept", "application/json"], ["accept-encoding", "gzip, br"],
  ["x-forwarded-for", "203.0.113.7"], ["x-request-id", "8c1d6f0e-53a1-4b7e-9d2c-0f6a1e2b3c4d"],
];
export const RESPONSE: HeaderList = [
  [":status", "200"], ["content-type", "application/json"], ["content-length", "512"], ["date", "Tue, 24 Nov 2026 08:00:00 GMT"],
  ["server", "envoy"], ["x-envoy-upstream-service-time", "3"],
];

export const linearBytes = (p: Plugin): number => p.workers[0].vm.mem.memory.buffer.byteLength;

export async function loadAddHeader(m: AddHeaderModule, countHostcalls = false): Promise<{ host: Host; plugin: Plugin }> {
  return benchPlugin(m.name, { wasm: m.wasm!, rootId: "add_header", configuration: m.configuration }, countHostcalls);
}

function lifecycles(plugin: Plugin, n: number): void {
  for (let i = 0; i < n; i++) {
    const s = plugin.createHttpStream({ worker: 0 });
    s.callOnRequestHeaders(REQUEST, false);
    s.callOnResponseHeaders(RESPONSE, false);
    s.complete();
  }
}

/** Hostcalls made by one lifecycle (after a warm-up lifecycle), by name. */
async function hostcallsPerLifecycle(m: AddHeaderModule): Promise<{ total: number; byName: Record<string, number>; headerAdded: boolean }> {
  const { host, plugin } = await loadAddHeader(m, true);
  lifecycles(plugin, 1);
  host.hostcalls!.clear();
  const s = plugin.createHttpStream({ worker: 0 });
  s.callOnRequestHeaders(REQUEST, false);
  s.callOnResponseHeaders(RESPONSE, false);
  const headerAdded = s.responseHeaders.some(([k, v]) => k === "hello" && v === "world!");
  s.complete();
  const byName = Object.fromEntries(host.hostcalls!);
  return { total: Object.values(byName).reduce((a, b) => a + b, 0), byName, headerAdded };
}

export async function addHeaderLifecycle(mods: AddHeaderModule[], opts: { iterations: number; rounds: number; leakLifecycles: number }):
  Promise<{ results: Record<string, unknown>; targets: Target[] }> {
  const built = mods.filter((m) => m.wasm);
  const calls: Record<string, Awaited<ReturnType<typeof hostcallsPerLifecycle>>> = {};
  for (const m of built) {
    calls[m.name] = await hostcallsPerLifecycle(m);
    if (!calls[m.name].headerAdded) console.log(`  warning: ${m.name} did not add "hello: world!" to the response`);
  }
  table("Hostcalls per add-header HTTP stream lifecycle (create, request headers, response headers, log, done, delete)",
    ["module", "hostcalls", "by name"], built.map((m) => [m.name, calls[m.name].total,
      Object.entries(calls[m.name].byName).map(([k, v]) => `${k.replace(/^proxy_/, "")} ${v}`).join(", ")]));

  const plugins: Record<string, Plugin> = {};
  for (const m of built) plugins[m.name] = (await loadAddHeader(m)).plugin;
  const ns = interleavedMedians(Object.fromEntries(built.map((m) => [m.name, (n: number) => lifecycles(plugins[m.name], n)])), opts.iterations, opts.rounds);
  table(`Time per add-header stream lifecycle in envoy-test/host (CPU ns, median of ${opts.rounds} rounds x ${opts.iterations})`,
    ["module", "ns", "x floor", "ours / this"], built.map((m) => [m.name, ns[m.name], ratio(ns[m.name], ns.floor), ratio(ns.ours, ns[m.name])]));

  // Leak check: linear memory after a warm-up, then after `leakLifecycles` more, on fresh VMs.
  const leak: Record<string, { afterWarmup: number; after: number; growthPerStream: number }> = {};
  for (const m of built) {
    const { plugin } = await loadAddHeader(m);
    lifecycles(plugin, 10_000);
    const afterWarmup = linearBytes(plugin);
    lifecycles(plugin, opts.leakLifecycles);
    const after = linearBytes(plugin);
    leak[m.name] = { afterWarmup, after, growthPerStream: +((after - afterWarmup) / opts.leakLifecycles).toFixed(2) };
  }
  table(`Linear memory over ${opts.leakLifecycles.toLocaleString("en-US")} add-header lifecycles after 10,000 warm-up (bytes)`,
    ["module", "after warm-up", "after", "growth per stream"], built.map((m) => [m.name, leak[m.name].afterWarmup, leak[m.name].after, leak[m.name].growthPerStream]));

  const gcore = ns["gcore 1.2.3"];
  const targets = [
    target("add-header time / floor", ratio(ns.ours, ns.floor), 4, "x"),
    target("add-header time / gcore (ahead: < 1)", gcore ? ratio(ns.ours, gcore) : null, 1, "x"),
    target("add-header linear memory growth after warm-up", leak.ours.after - leak.ours.afterWarmup, 0, "B"),
  ];
  return { results: { hostcalls: calls, nsPerLifecycle: ns, memory: leak }, targets };
}
