// The proxy a hot-restart e2e runs against: the local gateway under its hot restarter
// (envoy-test/gateway/hot-restart), or real Envoy under hot-restarter.sh in a container
// (E2E_TARGET=envoy). Both take the same bootstrap (hot-restart-topology.ts) and offer the same
// operations: the listener and admin URLs, a hot restart, and whether an epoch still runs.
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { TestContainers } from "testcontainers";
import { buildFilters } from "../../envoy-test/build.ts";
import { EnvoyContainer, CONTAINER_WASM_DIR, type StartedEnvoyContainer } from "../../envoy-test/container/index.ts";
import { HotRestarter } from "../../envoy-test/gateway/hot-restart/restarter.ts";
import { freePort } from "./drain-signal-topology.ts";
import { hotRestartTopology, writeTopology, type HotRestartTopology } from "../../bench/support/hot-restart-topology.ts";
import { containerRuntime, e2eTarget, NoContainerRuntimeError } from "./envoy-target.ts";

export interface HotRestartTarget {
  readonly target: "gateway" | "envoy";
  url(path: string): string;
  adminUrl(path: string): string;
  /** Starts the next epoch (on `breakConfig(config)` when given: the deploy writes that config
   *  first); resolves when it serves, with its epoch number; rejects when the config is refused. */
  restart(breakConfig?: (config: Record<string, unknown>) => void): Promise<number>;
  epochAlive(epoch: number): Promise<boolean>;
  /** pids of the epochs (gateway only: the bench samples their RSS) */
  pids(): number[];
  close(): Promise<void>;
}

export const MODULES = ["ws-router", "conn-accounting", "drain-signal"];

/** Builds the three modules when missing or older than their sources. */
export async function buildModules(): Promise<void> {
  const newest = (dirs: string[]) => Math.max(0, ...dirs.filter((d) => existsSync(d)).flatMap((d) => readdirSync(d).filter((f) => f.endsWith(".ts")).map((f) => statSync(join(d, f)).mtimeMs)));
  const stale = MODULES.filter((m) => !existsSync(`build/${m}.wasm`) || statSync(`build/${m}.wasm`).mtimeMs < newest([`filters/${m}`, "sdk", "sdk/websocket", "sdk/runtime"]));
  if (stale.length) await buildFilters(stale);
}

export interface TargetTimes { drainTimeS: number; parentShutdownTimeS: number }

type TopologyInput = Omit<HotRestartTopology, "wasmDir" | "listenPort" | "adminPort" | "endpoints">;

export async function startHotRestartTarget(o: {
  topology: TopologyInput;
  times: TargetTimes;
  endpoints: (service: string) => { address: string; port: number }[];
  backendPorts: number[];
  log?: (line: string) => void;
}): Promise<HotRestartTarget> {
  if (e2eTarget() === "envoy") return startEnvoy(o);
  const dir = mkdtempSync(join(tmpdir(), "hot-restart-"));
  const configPath = join(dir, "envoy.json");
  const listenPort = await freePort();
  const adminPort = await freePort();
  writeTopology(configPath, { ...o.topology, wasmDir: resolve("build"), listenPort, adminPort, endpoints: o.endpoints });
  const r = new HotRestarter({ configPath, drainTimeS: o.times.drainTimeS, parentShutdownTimeS: o.times.parentShutdownTimeS, log: o.log ?? (() => {}) });
  const epochs = new Map<number, number>();
  const start = async (change?: (config: Record<string, unknown>) => void) => {
    if (change) {
      const c = hotRestartTopology({ ...o.topology, wasmDir: resolve("build"), listenPort, adminPort, endpoints: o.endpoints }) as Record<string, unknown>;
      change(c);
      writeFileSync(configPath, JSON.stringify(c));
    }
    const e = await r.restart();
    epochs.set(e.epoch, e.pid);
    return e.epoch;
  };
  await start();
  return {
    target: "gateway",
    url: (path) => `ws://127.0.0.1:${listenPort}${path}`,
    adminUrl: (path) => `http://127.0.0.1:${adminPort}${path}`,
    restart: start,
    epochAlive: async (epoch) => r.running.some((x) => x.epoch === epoch),
    pids: () => r.running.map((x) => x.pid),
    close: async () => { await r.stop(); rmSync(dir, { recursive: true, force: true }); },
  };
}

const LISTEN_PORT = 10000;
const ADMIN_PORT = 9901;

async function startEnvoy(o: Parameters<typeof startHotRestartTarget>[0]): Promise<HotRestartTarget> {
  const rt = await containerRuntime();
  if (!rt.available) throw new NoContainerRuntimeError(rt.reason);
  await TestContainers.exposeHostPorts(...o.backendPorts);
  const config = hotRestartTopology({
    ...o.topology, wasmDir: CONTAINER_WASM_DIR, listenPort: LISTEN_PORT, adminPort: ADMIN_PORT,
    endpoints: (s) => o.endpoints(s).map((e) => ({ address: "host.testcontainers.internal", port: e.port })),
  }) as { admin: { address: { socket_address: { address: string } } }; static_resources: { listeners: { address: { socket_address: { address: string } } }[] } };
  config.admin.address.socket_address.address = "0.0.0.0";
  for (const l of config.static_resources.listeners) l.address.socket_address.address = "0.0.0.0";
  const envoy: StartedEnvoyContainer = await new EnvoyContainer({
    config, wasmFiles: MODULES.map((n) => resolve(`build/${n}.wasm`)),
    listenerPorts: [LISTEN_PORT], adminPort: ADMIN_PORT,
    hotRestart: { baseId: 1, drainTimeS: o.times.drainTimeS, parentShutdownTimeS: o.times.parentShutdownTimeS },
  }).start();
  return {
    target: "envoy",
    url: (path) => envoy.listenerUrl(LISTEN_PORT, path),
    adminUrl: (path) => envoy.adminUrl(path),
    restart: (change) => {
      if (!change) return envoy.hotRestart();
      const c = structuredClone(config) as unknown as Record<string, unknown>;
      change(c);
      return envoy.hotRestart(c);
    },
    epochAlive: (epoch) => envoy.epochAlive(epoch),
    pids: () => [],
    close: () => envoy.stop(),
  };
}
