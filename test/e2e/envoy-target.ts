// Which proxy the end-to-end tests run against: E2E_TARGET=gateway (default; the local gateway,
// no Docker) or E2E_TARGET=envoy (real Envoy in a container via envoy-test/container).
//
//   const skip = await envoySkipReason();          // one-line reason, or false when Envoy can run
//   const proxy = await startProxy({ config: (env) => myBootstrap(env), wasmFiles: [...] });
//   new WebSocket(proxy.url("public", "/messages"));
//
// Under plain `npm test` (E2E_TARGET unset) the Envoy target is skipped with a one-line reason.
// With E2E_TARGET=envoy and no container runtime, starting it fails with a clear message instead
// of a skip: whoever asked for real Envoy must learn it did not run.
import { getContainerRuntimeClient, TestContainers } from "testcontainers";
import { EnvoyContainer, CONTAINER_WASM_DIR, type StartedEnvoyContainer } from "../../envoy-test/container/index.ts";
import { startGateway, type Gateway } from "../../envoy-test/gateway/index.ts";

export type E2ETarget = "gateway" | "envoy";

export function e2eTarget(env: NodeJS.ProcessEnv = process.env): E2ETarget {
  const v = env.E2E_TARGET;
  if (v === undefined || v === "" || v === "gateway") return "gateway";
  if (v === "envoy") return "envoy";
  throw new Error(`E2E_TARGET=${JSON.stringify(v)}: expected "gateway" (the local gateway, default) or "envoy" (real Envoy in a container)`);
}

/** testcontainers 11 throws this when no Docker/Podman engine answers. */
export const NO_RUNTIME = "Could not find a working container runtime strategy";

export async function containerRuntime(): Promise<{ available: true } | { available: false; reason: string }> {
  try {
    await getContainerRuntimeClient();
    return { available: true };
  } catch (e) {
    return { available: false, reason: (e as Error).message };
  }
}

export class NoContainerRuntimeError extends Error {
  constructor(reason: string) {
    super(`E2E_TARGET=envoy needs a container runtime, and none answers (testcontainers: "${reason}"). ` +
      "Start Docker or Podman (DOCKER_HOST for a remote engine), or run without E2E_TARGET to test the local gateway.");
  }
}

/**
 * For a test that exists only on the Envoy target: a one-line skip reason under the gateway target,
 * false when real Envoy can run; throws NoContainerRuntimeError when E2E_TARGET=envoy has no engine.
 */
export async function envoySkipReason(env: NodeJS.ProcessEnv = process.env): Promise<string | false> {
  if (e2eTarget(env) === "gateway") return "real Envoy target skipped: E2E_TARGET is not \"envoy\" (run E2E_TARGET=envoy npm run test:e2e where a container runtime answers)";
  const rt = await containerRuntime();
  if (!rt.available) throw new NoContainerRuntimeError(rt.reason);
  return false;
}

/** What a bootstrap builder needs to know about where it will run. */
export interface TargetEnv {
  target: E2ETarget;
  /** directory the proxy loads .wasm files from (build locally, /etc/envoy/wasm in the container) */
  wasmDir: string;
  /** address listeners and admin bind (127.0.0.1 locally, 0.0.0.0 in the container) */
  bindHost: string;
  /** address at which the proxy reaches backends running in this test process */
  backendHost: string;
}

export interface ProxyUnderTest {
  readonly target: E2ETarget;
  /** URL of a listener by its name in the bootstrap */
  url(listener: string, path?: string, scheme?: "ws" | "http"): string;
  adminUrl(path?: string): string;
  stats(filter?: string): Promise<Map<string, number>>;
  /** Envoy's log (envoy target) or "" */
  logs(): string;
  close(): Promise<void>;
}

type Json = Record<string, any>;

function listenerPort(config: Json, name: string): number {
  const l = (config.static_resources?.listeners ?? []).find((x: Json) => x.name === name);
  const port = l?.address?.socket_address?.port_value;
  if (typeof port !== "number") throw new Error(`no listener "${name}" with a socket_address.port_value in the bootstrap`);
  return port;
}

/**
 * Starts the proxy of the current target on the bootstrap `config(env)` builds. On the envoy target
 * the listeners need fixed ports (they are published), `wasmFiles` are copied in, and
 * `backendPorts` (ports of servers in this process) are made reachable as host.testcontainers.internal.
 */
export async function startProxy(opts: {
  config: (env: TargetEnv) => object;
  wasmFiles?: string[];
  backendPorts?: number[];
  target?: E2ETarget;
  envoyArgs?: string[];
}): Promise<ProxyUnderTest> {
  const target = opts.target ?? e2eTarget();
  if (target === "gateway") {
    const config = opts.config({ target, wasmDir: "build", bindHost: "127.0.0.1", backendHost: "127.0.0.1" });
    const gw: Gateway = await startGateway({ config });
    return {
      target,
      url: (name, path = "/", scheme = "ws") => { const a = gw.listenerAddress(name); return `${scheme}://${a.address}:${a.port}${path}`; },
      adminUrl: (path = "/") => { const a = gw.adminAddress(); return `http://${a.address}:${a.port}${path}`; },
      stats: async (filter) => {
        const re = filter ? new RegExp(filter) : null;
        return new Map(gw.stats.all().filter((s) => s.type !== "histogram" && (!re || re.test(s.name))).map((s) => [s.name, s.value]));
      },
      logs: () => "",
      close: () => gw.close(),
    };
  }
  const rt = await containerRuntime();
  if (!rt.available) throw new NoContainerRuntimeError(rt.reason);
  if (opts.backendPorts?.length) await TestContainers.exposeHostPorts(...opts.backendPorts);
  const config = opts.config({ target, wasmDir: CONTAINER_WASM_DIR, bindHost: "0.0.0.0", backendHost: "host.testcontainers.internal" }) as Json;
  const names: string[] = (config.static_resources?.listeners ?? []).map((l: Json) => l.name);
  const adminPort = config.admin?.address?.socket_address?.port_value ?? 9901;
  const envoy: StartedEnvoyContainer = await new EnvoyContainer({
    config, wasmFiles: opts.wasmFiles, adminPort, listenerPorts: names.map((n) => listenerPort(config, n)), args: opts.envoyArgs,
  }).start();
  return {
    target,
    url: (name, path = "/", scheme = "ws") => envoy.listenerUrl(listenerPort(config, name), path, scheme),
    adminUrl: (path = "/") => envoy.adminUrl(path),
    stats: (filter) => envoy.stats(filter),
    logs: () => envoy.logs(),
    close: () => envoy.stop(),
  };
}
