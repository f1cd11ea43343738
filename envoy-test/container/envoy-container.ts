// Real Envoy in a container, testcontainers style: EnvoyContainer configures, start() returns a
// StartedEnvoyContainer with typed helpers. The bootstrap and the .wasm files are copied in;
// readiness is the admin interface's /ready answering 200 (LIVE), polled; a failed start throws
// with Envoy's own log lines attached.
import { basename } from "node:path";
import type { Readable } from "node:stream";
import { GenericContainer, Wait, type StartedNetwork, type StartedTestContainer } from "testcontainers";
import { stringify } from "yaml";
import { ENVOY_IMAGE } from "./image.ts";

export const CONTAINER_CONFIG = "/etc/envoy/envoy.yaml";
export const CONTAINER_WASM_DIR = "/etc/envoy/wasm";

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
      .withCommand(["envoy", "-c", CONTAINER_CONFIG, "--log-level", o.logLevel ?? "info", ...(o.args ?? [])])
      .withWaitStrategy(Wait.forHttp("/ready", adminPort).forStatusCode(200))
      .withStartupTimeout(o.startupTimeoutMs ?? 60_000)
      .withLogConsumer((stream: Readable) => { stream.on("data", (d: Buffer | string) => logs.push(String(d))); });
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

  /** Everything Envoy wrote to stdout/stderr so far. */
  logs(): string { return this.logLines.join(""); }

  /** Writes the logs to stderr (call it from a failing test's cleanup). */
  dumpLogs(): void { process.stderr.write(`--- envoy logs ---\n${this.logs()}\n--- end of envoy logs ---\n`); }

  async stop(): Promise<void> { await this.container.stop(); }
}
