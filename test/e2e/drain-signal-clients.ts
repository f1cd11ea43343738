// Websocket clients for the drain-signal e2e tests, each following one reconnect behaviour:
//   eager:       reconnects to the new gateway as soon as the signal arrives (closes the old one first)
//   rtm:         Slack's RTMClient (@slack/rtm-api, RTMClient.ts): `goodbye` is only emitted to the
//                application; the client reconnects when the websocket closes ('websocket close' ->
//                reconnecting -> connecting)
//   socket-mode: Slack's SocketModeClient (@slack/socket-mode 1.x, SocketModeClient.ts): on
//                `disconnect` / `refresh_requested` it opens a second connection and, once that one
//                says hello, terminates the old one (switchWebSocketConnection)
// Every client acks Socket Mode envelopes by envelope_id, as the apps backend expects.
import WebSocket from "ws";

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

function parse(text: string): Record<string, unknown> | null {
  try { const v = JSON.parse(text); return v && typeof v === "object" ? v : null; } catch { return null; }
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
