// Clients for the hot-restart e2e and bench:
//   LimitedClient: an apps websocket that keeps one connection when it can: a 503 from
//     conn-accounting is retried after its Retry-After; a drain signal closes the connection
//     and reconnects to the same URL. The open count (from the backend's hello until the client
//     closes or sees the close) is kept over all instances, so "never more than the limit" is
//     checked from the clients' side, across both processes.
//   UpgradeLoad: a steady stream of short websockets (open, hello, close), each failure recorded:
//     a refused or reset connection during the handover shows up here.
//   DrainClient: a websocket that reconnects on a drain signal in one of three ways:
//     eager:       closes and reconnects as soon as the signal arrives
//     rtm:         reconnects only when the server closes the websocket (as Slack's RTMClient does)
//     socket-mode: opens the new connection first and closes the old one once the new one says
//                  hello (make-before-break)
//     The official clients themselves run in hot-restart.test.ts (slack-clients.ts).
import WebSocket from "ws";

const parse = (t: string): Record<string, unknown> | null => { try { const v = JSON.parse(t); return v && typeof v === "object" ? v : null; } catch { return null; } };

export class LimitedClient {
  static open = 0;
  static maxOpen = 0;
  static rejected = 0;
  connected = false;
  signalled = false;
  readonly errors: string[] = [];
  private ws: WebSocket | null = null;
  private counted = false;
  private stopped = false;

  constructor(readonly url: string) {}

  start(): void { this.connect(); }

  private connect(): void {
    if (this.stopped) return;
    const ws = new WebSocket(this.url);
    this.ws = ws;
    let closing = false;
    ws.on("unexpected-response", (req, res) => {
      res.resume();
      req.destroy();
      if (res.statusCode !== 503) { this.errors.push(`unexpected HTTP ${res.statusCode}`); return; }
      LimitedClient.rejected++;
      const after = Number(res.headers["retry-after"] ?? "1");
      setTimeout(() => this.connect(), after * 1000 + Math.random() * 200);
    });
    ws.on("error", (e) => this.errors.push(e.message));
    ws.on("message", (d) => {
      const m = parse(d.toString());
      if (!m) return;
      if (m.type === "hello") this.up();
      else if (m.type === "goodbye" || m.type === "disconnect") {
        this.signalled = true;
        closing = true;
        this.down();
        ws.close(1000);
        this.connect();
      }
    });
    ws.on("close", () => {
      // Only this connection's close counts: the replacement may already be up.
      if (this.ws !== ws || closing) return;
      const wasUp = this.counted;
      this.down();
      if (wasUp && !this.stopped) this.connect();
    });
  }

  private up(): void {
    if (this.counted) return;
    this.counted = true;
    this.connected = true;
    LimitedClient.open++;
    LimitedClient.maxOpen = Math.max(LimitedClient.maxOpen, LimitedClient.open);
  }

  private down(): void {
    if (!this.counted) return;
    this.counted = false;
    LimitedClient.open--;
  }

  close(): void { this.stopped = true; this.down(); this.ws?.terminate(); }

  static reset(): void { LimitedClient.open = 0; LimitedClient.maxOpen = 0; LimitedClient.rejected = 0; }
}

export class UpgradeLoad {
  ok = 0;
  readonly failures: string[] = [];
  /** Date.now() of each upgrade answered (for the bench's rate) */
  readonly times: number[] = [];
  private timer: NodeJS.Timeout | null = null;
  private inFlight = 0;

  constructor(readonly url: string, readonly intervalMs: number) {}

  start(): void { this.timer = setInterval(() => this.one(), this.intervalMs); }
  stop(): void { if (this.timer) clearInterval(this.timer); this.timer = null; }

  async settled(timeoutMs = 10_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (this.inFlight > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  }

  private one(): void {
    this.inFlight++;
    const ws = new WebSocket(this.url);
    let hello = false;
    let done = false;
    const finish = (failure?: string) => {
      if (done) return;
      done = true;
      this.inFlight--;
      if (failure) this.failures.push(failure); else { this.ok++; this.times.push(Date.now()); }
    };
    ws.on("unexpected-response", (req, res) => { res.resume(); req.destroy(); finish(`HTTP ${res.statusCode}`); });
    ws.on("error", (e) => finish(e.message));
    ws.on("message", (d) => {
      if (hello) return;
      if (parse(d.toString())?.type === "hello") { hello = true; ws.close(1000); }
    });
    ws.on("close", (code) => finish(hello ? undefined : `closed ${code} before hello`));
  }
}

/** Counters and gauges from an admin /stats?format=json URL. */
export async function adminStats(url: string): Promise<Map<string, number>> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: ${r.status} ${await r.text()}`);
  const j = (await r.json()) as { stats: ({ name: string; value: number } | { histograms: unknown })[] };
  const out = new Map<string, number>();
  for (const s of j.stats) if ("name" in s) out.set(s.name, Number(s.value));
  return out;
}

export async function waitUntil(what: string, cond: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export type Behaviour = "eager" | "rtm" | "socket-mode";

export interface ClientRecord {
  service: string;
  behaviour: Behaviour;
  signal: string | null;          // the signal message text
  signalAt: number;               // Date.now() when it arrived (0: never)
  oldCloseCode: number;           // close code of the connection to the old gateway (0: not closed)
  oldClosedAt: number;
  reconnectedAt: number;          // hello received from the new gateway
  errors: string[];               // ws 'error' / 'unexpected-response' events: protocol errors
}

export class DrainClient {
  readonly rec: ClientRecord;
  old!: WebSocket;
  replacement: WebSocket | null = null;

  constructor(readonly oldUrl: string, readonly newUrl: string, service: string, behaviour: Behaviour) {
    this.rec = { service, behaviour, signal: null, signalAt: 0, oldCloseCode: 0, oldClosedAt: 0, reconnectedAt: 0, errors: [] };
  }

  /** Connects to the old gateway; resolves on the backend's hello. */
  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.oldUrl);
      this.old = ws;
      this.watchErrors(ws, "old");
      ws.once("close", (code) => {
        this.rec.oldCloseCode = code; this.rec.oldClosedAt = Date.now();
        reject(new Error(`closed (${code}) before hello`));
        if (this.rec.behaviour === "rtm" && this.rec.reconnectedAt === 0) this.connectReplacement();
      });
      ws.on("message", (data) => {
        const m = parse(data.toString());
        if (!m) return;
        if (m.type === "hello") { resolve(); return; }
        this.ack(ws, m);
        if (m.type === "goodbye" || m.type === "disconnect") this.onSignal(data.toString());
      });
    });
  }

  private onSignal(text: string): void {
    if (this.rec.signal !== null) { this.rec.errors.push(`second signal: ${text}`); return; }
    this.rec.signal = text;
    this.rec.signalAt = Date.now();
    if (this.rec.behaviour === "eager") { this.old.close(1000); this.connectReplacement(); }
    else if (this.rec.behaviour === "socket-mode") this.connectReplacement();
    // rtm: nothing until the server closes the connection.
  }

  private connectReplacement(): void {
    if (this.replacement) return;
    const ws = new WebSocket(this.newUrl);
    this.replacement = ws;
    this.watchErrors(ws, "new");
    ws.on("message", (data) => {
      const m = parse(data.toString());
      if (!m) return;
      if (m.type === "hello" && this.rec.reconnectedAt === 0) {
        this.rec.reconnectedAt = Date.now();
        if (this.rec.behaviour === "socket-mode") this.old.terminate();
      }
      this.ack(ws, m);
    });
  }

  private ack(ws: WebSocket, m: Record<string, unknown>): void {
    if (typeof m.envelope_id === "string") ws.send(JSON.stringify({ envelope_id: m.envelope_id }));
  }

  private watchErrors(ws: WebSocket, which: string): void {
    ws.on("error", (e) => this.rec.errors.push(`${which}: ${e.message}`));
    ws.on("unexpected-response", (_req, res) => this.rec.errors.push(`${which}: unexpected HTTP ${res.statusCode}`));
  }

  close(): void {
    for (const ws of [this.old, this.replacement]) if (ws && ws.readyState !== WebSocket.CLOSED) ws.terminate();
  }
}


/** Opens clients in batches (a burst of 1,000 handshakes at once would only test the accept queue). */
export async function openAll(clients: DrainClient[], batch = 100): Promise<void> {
  for (let i = 0; i < clients.length; i += batch) await Promise.all(clients.slice(i, i + batch).map((c) => c.open()));
}

export async function waitFor(what: string, cond: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Events per bin of binMs from `from` to the last event; peak and mean over those bins. */
export function flatness(times: number[], from: number, binMs: number): { bins: number[]; peak: number; mean: number; ratio: number } {
  const last = Math.max(...times);
  const n = Math.max(1, Math.ceil((last - from + 1) / binMs));
  const bins = new Array<number>(n).fill(0);
  for (const t of times) {
    const k = Math.floor((t - from) / binMs);
    if (k >= 0 && k < n) bins[k]++;
  }
  const peak = Math.max(...bins);
  const mean = bins.reduce((a, b) => a + b, 0) / n;
  return { bins, peak, mean, ratio: peak / mean };
}
