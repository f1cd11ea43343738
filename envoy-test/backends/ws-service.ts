// One demo backend instance (DESIGN.md "Contracts"): a websocket service that says hello, echoes
// text messages, pings periodically and answers GET /healthz. The "apps" service also speaks the
// server side of Slack Socket Mode: its hello carries num_connections, debug_info and
// connection_info; it sends events_api envelopes and records acks by envelope_id
// (Slack: api.slack.com/apis/socket-mode, "Acknowledge events").
import http from "node:http";
import type net from "node:net";
import { randomUUID } from "node:crypto";
import { WebSocketServer, type WebSocket } from "ws";

export interface ServiceOptions {
  service: string;
  host?: string;
  port: number;
  /** websocket ping frame period (default 20 s) */
  pingIntervalMs?: number;
  /** apps only: events_api envelope period after the first one (default 30 s; 0 = only the first) */
  eventIntervalMs?: number;
}

export class WsService {
  readonly service: string;
  private readonly http: http.Server;
  private readonly wss: WebSocketServer;
  private readonly sockets = new Set<net.Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** apps: envelope ids sent and not yet acknowledged */
  readonly unacked = new Set<string>();
  readonly acked: string[] = [];
  /** connections accepted since start */
  connectionsTotal = 0;
  /** health answers: set false to make /healthz answer 503 */
  healthy = true;
  instance = "";

  constructor(private readonly opts: ServiceOptions) {
    this.service = opts.service;
    this.http = http.createServer((req, res) => {
      if (req.method === "GET" && (req.url ?? "").split("?")[0] === "/healthz") {
        const body = JSON.stringify({ status: this.healthy ? "ok" : "failing", service: this.service, instance: this.instance });
        res.writeHead(this.healthy ? 200 : 503, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
        res.end(body);
        return;
      }
      const body = `${this.service}: websocket only (GET /healthz for health)\n`;
      res.writeHead(404, { "content-type": "text/plain", "content-length": Buffer.byteLength(body) });
      res.end(body);
    });
    this.http.on("connection", (s: net.Socket) => { this.sockets.add(s); s.on("close", () => this.sockets.delete(s)); });
    this.wss = new WebSocketServer({ noServer: true });
    this.http.on("upgrade", (req, socket, head) => {
      this.wss.handleUpgrade(req, socket as net.Socket, head, (ws) => this.onConnection(ws));
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.http.once("error", (e) => reject(new Error(`backend ${this.service}: cannot listen on ${this.opts.host ?? "127.0.0.1"}:${this.opts.port}: ${e.message}`)));
      this.http.listen(this.opts.port, this.opts.host ?? "127.0.0.1", () => resolve());
    });
    this.instance = `${this.address.address}:${this.address.port}`;
  }

  get address(): { address: string; port: number } {
    const a = this.http.address();
    if (!a || typeof a !== "object") throw new Error(`backend ${this.service}: not listening`);
    return { address: a.address, port: a.port };
  }

  get activeConnections(): number { return this.wss.clients.size; }

  private every(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setInterval(fn, ms);
    t.unref();
    this.timers.add(t);
    return t;
  }

  private onConnection(ws: WebSocket): void {
    this.connectionsTotal++;
    const hello: Record<string, unknown> = { type: "hello", service: this.service, instance: this.instance };
    if (this.service === "apps") {
      hello.num_connections = this.wss.clients.size;
      hello.debug_info = { host: `applink-${this.instance}`, build_number: 1, approximate_connection_time: 18060 };
      hello.connection_info = { app_id: "A0DEMOAPP" };
    }
    ws.send(JSON.stringify(hello));
    const ping = this.every(this.opts.pingIntervalMs ?? 20_000, () => { if (ws.readyState === ws.OPEN) ws.ping(); });
    let events: NodeJS.Timeout | null = null;
    if (this.service === "apps") {
      this.sendEnvelope(ws);
      const every = this.opts.eventIntervalMs ?? 30_000;
      if (every > 0) events = this.every(every, () => this.sendEnvelope(ws));
    }
    ws.on("message", (data, isBinary) => {
      if (isBinary) return;
      const text = data.toString();
      if (this.service === "apps") {
        const ack = parseAck(text);
        if (ack !== null) {
          if (this.unacked.delete(ack)) this.acked.push(ack);
          return;
        }
      }
      ws.send(JSON.stringify({ type: "echo", data: text }));
    });
    ws.on("error", () => { /* the close event follows */ });
    ws.on("close", () => {
      clearInterval(ping); this.timers.delete(ping);
      if (events) { clearInterval(events); this.timers.delete(events); }
    });
  }

  /** Sends one Socket Mode events_api envelope; it stays in `unacked` until the client acks it. */
  sendEnvelope(ws: WebSocket): string {
    const id = randomUUID();
    this.unacked.add(id);
    ws.send(JSON.stringify({
      envelope_id: id,
      type: "events_api",
      accepts_response_payload: false,
      retry_attempt: 0,
      retry_reason: "",
      payload: { type: "event_callback", event: { type: "app_mention", text: `hello from ${this.instance}`, ts: `${Date.now() / 1000}` } },
    }));
    return id;
  }

  /** Stops abruptly: every connection dropped without a close frame (a crashed backend). */
  async kill(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    for (const c of this.wss.clients) c.terminate();
    await this.close();
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers.clear();
    for (const c of this.wss.clients) c.terminate();
    this.wss.close();
    this.http.closeAllConnections();
    await new Promise<void>((r) => this.http.close(() => r()));
  }
}

/** A Socket Mode ack: {"envelope_id": "...", "payload"?: {...}} and nothing that looks like another message. */
function parseAck(text: string): string | null {
  try {
    const m = JSON.parse(text) as Record<string, unknown>;
    if (m && typeof m === "object" && typeof m.envelope_id === "string" && m.type === undefined) return m.envelope_id;
  } catch { /* not JSON: a plain message to echo */ }
  return null;
}
