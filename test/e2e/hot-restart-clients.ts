// Clients for the hot-restart e2e and bench:
//   LimitedClient: an apps websocket that keeps one connection when it can: a 503 from
//     conn-accounting is retried after its Retry-After; a drain signal closes the connection
//     and reconnects to the same URL. The open count (from the backend's hello until the client
//     closes or sees the close) is kept over all instances, so "never more than the limit" is
//     checked from the clients' side, across both processes.
//   UpgradeLoad: a steady stream of short websockets (open, hello, close), each failure recorded:
//     a refused or reset connection during the handover shows up here.
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
