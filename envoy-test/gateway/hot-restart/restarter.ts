// The hot restarter for the local gateway, after Envoy's restarter/hot-restarter.py: it runs
// epoch 0 as a child process; SIGHUP starts the next epoch (restart epoch + 1) on the config file
// as it is then; SIGTERM (or SIGINT) stops every epoch and exits. An epoch that exits by itself
// (a parent terminated by its child) is forgotten; when none is left, the restarter exits.
//
// Two differences from hot-restarter.py, both so that a bad deploy cannot take the running
// gateway down: the config file is validated before the next epoch starts (the gateway's own
// parser, which refuses anything outside its subset, and the project's validator against
// Envoy's v3 API), and refused with the errors printed while the running epoch stays; and an
// epoch that fails to start is logged and forgotten, its parent kept (hot-restarter.py kills every
// child when one exits non-zero: sigchld_handler).
//
// It also relays the hot restart messages between neighbouring epochs, with their handles
// (epoch.ts): Envoy's processes talk directly over Unix sockets, Node passes a listening handle
// only over a child_process IPC channel.
import { fork, type ChildProcess } from "node:child_process";
import type net from "node:net";
import { fileURLToPath } from "node:url";
import type { EpochOptions, HotRestartMessage } from "./protocol.ts";

export interface RestarterOptions {
  configPath: string;
  drainTimeS?: number;
  parentShutdownTimeS?: number;
  drainStrategy?: "gradual" | "immediate";
  baseId?: number;
  log?: (line: string) => void;
  /** validates the config before an epoch starts; throws with the errors (default: validateForRestart) */
  validate?: (configPath: string) => Promise<void>;
}

export interface EpochInfo { epoch: number; pid: number; listeners: string[]; admin: string }

interface Epoch { epoch: number; proc: ChildProcess; started: boolean }

const epochEntry = fileURLToPath(new URL("./epoch.ts", import.meta.url));

/** The gateway parser and the v3 validator, both: the gateway must run it, Envoy must accept it. */
export async function validateForRestart(configPath: string): Promise<void> {
  const { loadBootstrapFile } = await import("../index.ts");
  loadBootstrapFile(configPath);
  const { validateFile, formatError } = await import("../../config/index.ts");
  const r = await validateFile(configPath);
  if (r.errors.length) throw new Error(r.errors.map((e) => formatError(e)).join("\n"));
}

export class HotRestarter {
  private readonly epochs: Epoch[] = [];
  private nextEpoch = 0;
  private stopping = false;
  readonly done: Promise<number>;
  private finish!: (code: number) => void;
  private readonly log: (line: string) => void;

  constructor(private readonly o: RestarterOptions) {
    this.log = o.log ?? ((l) => process.stderr.write(`[hot-restarter] ${l}\n`));
    this.done = new Promise((r) => { this.finish = r; });
  }

  /** Starts the next epoch; resolves when it serves, rejects when its config is refused or it fails. */
  async restart(): Promise<EpochInfo> {
    if (this.stopping) throw new Error("hot-restarter: stopping");
    try {
      await (this.o.validate ?? validateForRestart)(this.o.configPath);
    } catch (e) {
      const msg = `${this.o.configPath}: refused, the running epoch stays:\n${(e as Error).message}`;
      this.log(msg);
      throw new Error(msg);
    }
    const epoch = this.nextEpoch++;
    const parent = this.epochs.find((x) => x.epoch === epoch - 1);
    const opts: EpochOptions = {
      configPath: this.o.configPath, epoch, parentAlive: Boolean(parent),
      drainTimeS: this.o.drainTimeS ?? 600, parentShutdownTimeS: this.o.parentShutdownTimeS ?? 900,
      drainStrategy: this.o.drainStrategy ?? "gradual", baseId: this.o.baseId ?? 0,
    };
    const proc = fork(epochEntry, [], {
      execArgv: ["--import", import.meta.resolve("tsx")],
      env: { ...process.env, PROXY_WASM_AS_EPOCH: JSON.stringify(opts) },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const e: Epoch = { epoch, proc, started: false };
    this.epochs.push(e);
    this.log(`starting epoch ${epoch} (pid ${proc.pid})`);
    return new Promise<EpochInfo>((resolve, reject) => {
      proc.on("message", (m: HotRestartMessage, handle?: net.Server | net.Socket) => {
        if (!m || typeof m !== "object") return;
        if (m.hr === "started") {
          e.started = true;
          const info = { epoch, pid: proc.pid!, listeners: m.listeners ?? [], admin: m.admin ?? "" };
          this.log(`epoch ${epoch} serving: ${info.listeners.join(", ")}${info.admin ? `, admin ${info.admin}` : ""}`);
          resolve(info);
        } else if (m.hr === "failed") {
          reject(new Error(`epoch ${epoch} failed to start: ${m.error}`));
        } else if (m.hr === "to" || m.hr === "reply") {
          this.relay(e, m, handle);
        }
      });
      proc.on("exit", (code, signal) => {
        const i = this.epochs.indexOf(e);
        if (i >= 0) this.epochs.splice(i, 1);
        this.log(`epoch ${epoch} exited (${signal ?? `code ${code}`})`);
        if (!e.started) reject(new Error(`epoch ${epoch} exited before serving (${signal ?? `code ${code}`})`));
        const child = this.epochs.find((x) => x.epoch === epoch + 1);
        if (child?.proc.connected) child.proc.send({ hr: "parent-gone" } satisfies HotRestartMessage);
        if (this.epochs.length === 0) this.finish(this.stopping ? 0 : code ?? 1);
      });
    });
  }

  /** Passes a message to the neighbouring epoch, with its handle. */
  private relay(from: Epoch, m: HotRestartMessage, handle?: net.Server | net.Socket): void {
    const toEpoch = m.peer === "parent" ? from.epoch - 1 : from.epoch + 1;
    const to = this.epochs.find((x) => x.epoch === toEpoch);
    const out: HotRestartMessage = { ...m, hr: m.hr === "to" ? "from" : "reply", peer: m.peer === "parent" ? "child" : "parent" };
    if (m.hr === "reply") out.peer = undefined;
    if (!to?.proc.connected) {
      // The neighbour is gone: a request gets an empty reply so the asking epoch goes on alone.
      if (m.hr === "to" && m.id !== undefined && from.proc.connected) from.proc.send({ hr: "reply", kind: m.kind, id: m.id } satisfies HotRestartMessage);
      (handle as net.Server | undefined)?.close?.();
      return;
    }
    if (!handle) { to.proc.send(out); return; }
    // A listen socket arrives here listening in this process too. Connections accepted on it
    // before it is closed here are passed on, unread (pauseOnConnect), to the receiving epoch.
    const server = handle as net.Server & { pauseOnConnect: boolean };
    server.pauseOnConnect = true;
    const name = m.name ?? "";
    server.on("connection", (s: net.Socket) => {
      if (to.proc.connected) to.proc.send({ hr: "stray", name } satisfies HotRestartMessage, s);
      else s.destroy();
    });
    to.proc.send(out, server, () => server.close());
  }

  /** SIGTERM to every epoch; resolves when all have exited. */
  async stop(): Promise<number> {
    this.stopping = true;
    for (const e of this.epochs) e.proc.kill("SIGTERM");
    if (this.epochs.length === 0) this.finish(0);
    return this.done;
  }

  get running(): { epoch: number; pid: number }[] { return this.epochs.map((e) => ({ epoch: e.epoch, pid: e.proc.pid! })); }
}

/** The `hot-restarter` command: epoch 0 now, the next on SIGHUP, all stop on SIGTERM/SIGINT. */
export async function runHotRestarter(o: RestarterOptions): Promise<number> {
  const r = new HotRestarter(o);
  process.on("SIGHUP", () => { r.restart().catch(() => { /* logged; the running epoch stays */ }); });
  process.once("SIGTERM", () => void r.stop());
  process.once("SIGINT", () => void r.stop());
  try {
    await r.restart();
  } catch (e) {
    await r.stop();
    throw e;
  }
  return r.done;
}
