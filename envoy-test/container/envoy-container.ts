// Real Envoy in a container, testcontainers style: EnvoyContainer configures, start() returns a
// StartedEnvoyContainer with typed helpers. The bootstrap and the .wasm files are copied in;
// readiness is the admin interface's /ready answering 200 (LIVE), polled; a failed start throws
// with Envoy's own log lines attached.
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import type { Readable } from "node:stream";
import { GenericContainer, Wait, type StartedNetwork, type StartedTestContainer } from "testcontainers";
import { stringify } from "yaml";
import { ENVOY_IMAGE } from "./image.ts";

export const CONTAINER_CONFIG = "/etc/envoy/envoy.yaml";
export const CONTAINER_WASM_DIR = "/etc/envoy/wasm";
const CONTAINER_RESTARTER = "/etc/envoy/hot-restarter.sh";
const RESTARTER_SCRIPT = new URL("./hot-restarter.sh", import.meta.url);

/** Run Envoy under a hot restarter (hot-restarter.sh) so StartedEnvoyContainer.hotRestart() works. */
export interface HotRestartOptions {
  /** --base-id shared by every epoch (default 0) */
  baseId?: number;
  drainTimeS?: number;
  parentShutdownTimeS?: number;
  drainStrategy?: "gradual" | "immediate";
}

export interface EnvoyContainerOptions {
  /** the bootstrap as an object (written as YAML) or YAML text */
  config: object | string;
  /** .wasm files on this machine, copied to /etc/envoy/wasm/<basename> */
  wasmFiles?: string[];
  /** container ports of the listeners to publish (admin is always published) */
  listenerPorts?: number[];
  /** the admin port inside the container; the bootstrap must bind admin on 0.0.0.0 */
  adminPort?: number;
  image?: string;
  logLevel?: "trace" | "debug" | "info" | "warn" | "error";
  /** extra Envoy command-line options, e.g. ["--drain-time-s", "5"] */
  args?: string[];
  startupTimeoutMs?: number;
  network?: StartedNetwork;
  networkAliases?: string[];
  hotRestart?: HotRestartOptions;
}

export class EnvoyContainer {
  constructor(private readonly opts: EnvoyContainerOptions) {}

  async start(): Promise<StartedEnvoyContainer> {
    const o = this.opts;
    const adminPort = o.adminPort ?? 9901;
    const yaml = typeof o.config === "string" ? o.config : stringify(o.config);
    const logs: string[] = [];
    let c = new GenericContainer(o.image ?? ENVOY_IMAGE)
      .withCopyContentToContainer([{ content: yaml, target: CONTAINER_CONFIG, mode: 0o644 }])
      .withCopyFilesToContainer((o.wasmFiles ?? []).map((f) => ({ source: f, target: `${CONTAINER_WASM_DIR}/${basename(f)}`, mode: 0o644 })))
      .withExposedPorts(adminPort, ...(o.listenerPorts ?? []))
      .withCommand(o.hotRestart ? ["sh", CONTAINER_RESTARTER] : ["envoy", "-c", CONTAINER_CONFIG, "--log-level", o.logLevel ?? "info", ...(o.args ?? [])])
      .withWaitStrategy(Wait.forHttp("/ready", adminPort).forStatusCode(200))
      .withStartupTimeout(o.startupTimeoutMs ?? 60_000)
      .withLogConsumer((stream: Readable) => { stream.on("data", (d: Buffer | string) => logs.push(String(d))); });
    if (o.hotRestart) {
      const h = o.hotRestart;
      const args = ["--log-level", o.logLevel ?? "info", ...(o.args ?? [])];
      if (h.drainTimeS !== undefined) args.push("--drain-time-s", String(h.drainTimeS));
      if (h.parentShutdownTimeS !== undefined) args.push("--parent-shutdown-time-s", String(h.parentShutdownTimeS));
      if (h.drainStrategy) args.push("--drain-strategy", h.drainStrategy);
      c = c.withCopyContentToContainer([{ content: readFileSync(RESTARTER_SCRIPT, "utf8"), target: CONTAINER_RESTARTER, mode: 0o755 }])
        .withEnvironment({ ENVOY_CONFIG: CONTAINER_CONFIG, BASE_ID: String(h.baseId ?? 0), ENVOY_ARGS: args.join(" ") });
    }
    if (o.network) c = c.withNetwork(o.network);
    if (o.networkAliases?.length) c = c.withNetworkAliases(...o.networkAliases);
    let started: StartedTestContainer;
    try {
      started = await c.start();
    } catch (e) {
      const tail = logs.join("").split("\n").slice(-60).join("\n");
      process.stderr.write(`--- envoy logs (${o.image ?? ENVOY_IMAGE}) ---\n${tail}\n--- end of envoy logs ---\n`);
      throw new Error(`EnvoyContainer: ${o.image ?? ENVOY_IMAGE} did not become ready (admin /ready on ${adminPort}): ${(e as Error).message}\n${tail}`);
    }
    return new StartedEnvoyContainer(started, adminPort, logs);
  }
}

export class StartedEnvoyContainer {
  constructor(readonly container: StartedTestContainer, private readonly adminPort: number, private readonly logLines: string[]) {}

  /** ws://host:port<path> (or http://) of a listener's container port, as mapped on this machine. */
  listenerUrl(containerPort: number, path = "/", scheme: "ws" | "http" = "ws"): string {
    return `${scheme}://${this.container.getHost()}:${this.container.getMappedPort(containerPort)}${path}`;
  }

  adminUrl(path = "/"): string {
    return `http://${this.container.getHost()}:${this.container.getMappedPort(this.adminPort)}${path}`;
  }

  /** Counters and gauges from /stats?format=json. */
  async stats(filter?: string): Promise<Map<string, number>> {
    const r = await fetch(this.adminUrl(`/stats?format=json${filter ? `&filter=${encodeURIComponent(filter)}` : ""}`));
    if (!r.ok) throw new Error(`envoy admin /stats answered ${r.status}: ${await r.text()}`);
    const j = (await r.json()) as { stats: ({ name: string; value: number } | { histograms: unknown })[] };
    const out = new Map<string, number>();
    for (const s of j.stats) if ("name" in s) out.set(s.name, Number(s.value));
    return out;
  }

  private epoch = 0;

  /**
   * Hot restart (the container must run with `hotRestart`): the new config, if given, is checked
   * with `envoy --mode validate` first and refused (the running epoch kept) when Envoy rejects it,
   * then moved over the config path; SIGHUP to the restarter starts the next epoch, which takes
   * the listen sockets and the admin address from the parent. Resolves when /server_info shows the
   * new epoch LIVE.
   */
  async hotRestart(config?: object | string, timeoutMs = 60_000): Promise<number> {
    if (config !== undefined) {
      const yaml = typeof config === "string" ? config : stringify(config);
      await this.container.copyContentToContainer([{ content: yaml, target: "/etc/envoy/next.yaml", mode: 0o644 }]);
      const v = await this.container.exec(["envoy", "--mode", "validate", "-c", "/etc/envoy/next.yaml"]);
      if (v.exitCode !== 0) throw new Error(`EnvoyContainer.hotRestart: the new config is refused, the running epoch stays:\n${v.output}`);
      await this.container.exec(["mv", "/etc/envoy/next.yaml", CONTAINER_CONFIG]);
    }
    const epoch = this.epoch + 1;
    const sig = await this.container.exec(["sh", "-c", "kill -HUP 1"]);
    if (sig.exitCode !== 0) throw new Error(`EnvoyContainer.hotRestart: SIGHUP to the restarter failed: ${sig.output}`);
    const end = Date.now() + timeoutMs;
    for (;;) {
      try {
        const r = await fetch(this.adminUrl("/server_info"));
        const j = (await r.json()) as { state?: string; command_line_options?: { restart_epoch?: number } };
        if (j.command_line_options?.restart_epoch === epoch && j.state === "LIVE") break;
      } catch { /* the admin address moves from the parent to the child */ }
      if (Date.now() > end) throw new Error(`EnvoyContainer.hotRestart: epoch ${epoch} not LIVE after ${timeoutMs} ms\n${this.logs().split("\n").slice(-40).join("\n")}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    this.epoch = epoch;
    return epoch;
  }

  /** Whether the process of an epoch is still running (hot restart containers only). */
  async epochAlive(epoch: number): Promise<boolean> {
    // A zombie (exited, not yet reaped by the restarter shell) answers kill -0, so read its state.
    const r = await this.container.exec(["sh", "-c", `s=$(cut -d' ' -f3 "/proc/$(cat /tmp/envoy-epoch-${epoch}.pid)/stat" 2>/dev/null); [ -n "$s" ] && [ "$s" != Z ]`]);
    return r.exitCode === 0;
  }

  /** Everything Envoy wrote to stdout/stderr so far. */
  logs(): string { return this.logLines.join(""); }

  /** Writes the logs to stderr (call it from a failing test's cleanup). */
  dumpLogs(): void { process.stderr.write(`--- envoy logs ---\n${this.logs()}\n--- end of envoy logs ---\n`); }

  async stop(): Promise<void> { await this.container.stop(); }
}
