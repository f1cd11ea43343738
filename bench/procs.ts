// Child processes of the gateway benchmarks: the gateway and the demo backends each run in their
// own process, so RSS is the gateway's alone and every process stays under its fd limit.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

export const freePort = (): Promise<number> => new Promise((resolve, reject) => {
  const s = net.createServer();
  s.once("error", reject);
  s.listen(0, "127.0.0.1", () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
});

/** A node + tsx child; `firstLine` is its first stdout line (or a stderr line saying "running"). */
export function child(args: string[], env: Record<string, string> = {}): { proc: ChildProcess; firstLine: Promise<string> } {
  const proc = spawn(process.execPath, ["--import", "tsx", ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const firstLine = new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: proc.stdout! });
    lines.once("line", resolve);
    const err = createInterface({ input: proc.stderr! });
    err.on("line", (l) => { if (/running/.test(l)) resolve(l); else process.stderr.write(`[${args[0]}] ${l}\n`); });
    proc.once("exit", (code) => reject(new Error(`${args.join(" ")} exited with ${code}`)));
  });
  return { proc, firstLine };
}

export const rssKb = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]);

/** The hard limit of open files of this process (children inherit it). */
export const nofileHard = (): number => Number(/Max open files\s+\d+\s+(\d+)/.exec(readFileSync("/proc/self/limits", "utf8"))?.[1] ?? 1024);

export const pct = (v: number[], p: number): number => { const s = [...v].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]; };

/**
 * The gateway in its own process on a minimal bootstrap: one listener routing everything to one
 * backend, router only (no Wasm), so a benchmark measures the data plane alone.
 */
export async function startRouterOnlyGateway(o: { backendPort: number; cluster: string; websocket?: boolean; routeTimeout?: string }):
  Promise<{ port: number; proc: ChildProcess; close: () => void }> {
  const [port, admin] = [await freePort(), await freePort()];
  const addr = (address: string, p: number) => ({ socket_address: { address, port_value: p } });
  const dir = mkdtempSync(join(tmpdir(), "bench-gateway-"));
  const config = join(dir, "gw.json");
  writeFileSync(config, JSON.stringify({
    admin: { address: addr("127.0.0.1", admin) },
    static_resources: {
      listeners: [{ name: "public", address: addr("127.0.0.1", port), filter_chains: [{ filters: [{
        name: "envoy.filters.network.http_connection_manager",
        typed_config: {
          "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
          stat_prefix: "ingress", ...(o.websocket ? { upgrade_configs: [{ upgrade_type: "websocket" }] } : {}),
          route_config: { virtual_hosts: [{ name: "all", domains: ["*"], routes: [{ match: { prefix: "/" },
            route: { cluster: o.cluster, ...(o.routeTimeout ? { timeout: o.routeTimeout } : {}) } }] }] },
          http_filters: [{ name: "envoy.filters.http.router" }],
        },
      }] }] }],
      clusters: [{ name: o.cluster, connect_timeout: "1s", load_assignment: { cluster_name: o.cluster,
        endpoints: [{ lb_endpoints: [{ endpoint: { address: addr("127.0.0.1", o.backendPort) } }] }] } }],
    },
  }));
  const g = child(["envoy-test/cli.ts", "gateway", "--config", config]);
  await g.firstLine;
  return { port, proc: g.proc, close: () => { g.proc.kill("SIGINT"); rmSync(dir, { recursive: true, force: true }); } };
}
