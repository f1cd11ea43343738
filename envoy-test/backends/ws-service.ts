// One demo backend instance: a websocket service that says hello, echoes text messages, pings
// periodically and answers GET /healthz. What the official Slack clients need from a server:
//   - RTM (every service but apps): {"type":"ping","id":N} is answered {"type":"pong","reply_to":N}
//     (@slack/rtm-api KeepAlive.ts: a ping every clientPingTimeout, 6 s, whose pong must come
//     within serverPongTimeout, 4 s, else the client closes the websocket and reconnects).
//   - Socket Mode ("apps"): the hello carries num_connections, debug_info and connection_info;
//     events_api envelopes are acknowledged by envelope_id (Slack: api.slack.com/apis/socket-mode,
//     "Acknowledge events"); an envelope not acknowledged when its websocket closes is sent again
//     to the next websocket of the same app (the app_id query parameter), on any instance of the
//     service, with retry_attempt + 1 and retry_reason "timeout"; an operator can send Slack's
//     {"type":"disconnect","reason":"warning"|"refresh_requested"|"link_disabled"} to every
//     websocket (POST /ops/disconnect?reason=...). The websocket ping frames (pingIntervalMs)
//     matter: @slack/socket-mode SlackWebSocket.ts closes a websocket that had no server ping for
//     serverPingTimeout (30 s).
import http from "node:http";
import type net from "node:net";
import { randomUUID } from "node:crypto";
import { WebSocketServer, type WebSocket } from "ws";

export interface ServiceOptions {
  service: string;
  host?: string;
  port: number;
  /** websocket ping frame period (default 15 s: under Socket Mode's 30 s serverPingTimeout, and
   *  never in step with RTMClient's own pings, which start 2 s after the hello
   *  (replyAckOnReconnectTimeout) and repeat every 6 s: 15j - 2 is never a multiple of 6, so the
   *  two are always 1 s or more apart. At 20 s they coincide 20 s after the hello and every 60 s on, and
   *  a drain signal carried by the server's ping lands the client's next ping inside the close
   *  handshake, which RTMClient logs as an error.) */
  pingIntervalMs?: number;
  /** apps only: events_api envelope period after the first one (default 30 s; 0 = only the first) */
  eventIntervalMs?: number;
  /** apps only: the envelope store shared by the instances of the service (default: its own) */
  envelopes?: EnvelopeStore;
}

export const DISCONNECT_REASONS = ["warning", "refresh_requested", "link_disabled"] as const;
export type DisconnectReason = (typeof DISCONNECT_REASONS)[number];
const DEFAULT_APP = "A0DEMOAPP";
export const DEFAULT_PING_MS = 15_000;

interface Envelope { id: string; app: string; retry: number; event: Record<string, unknown>; on: WebSocket | null; firstSentAt: number }

/** Socket Mode envelopes of one service, across its instances: which are unacknowledged, on
 *  which websocket, and which websockets each app has open (for redelivery). */
export class EnvelopeStore {
  /** envelope ids sent and not yet acknowledged */
  readonly unacked = new Set<string>();
  /** acknowledged ids, in order (an id acknowledged twice is listed twice) */
  readonly acked: string[] = [];
  /** envelope ids delivered more than once */
  redelivered = 0;
  private readonly pending = new Map<string, Envelope>();
  private readonly sockets = new Map<string, Set<WebSocket>>();

  open(app: string, ws: WebSocket): void {
    let set = this.sockets.get(app);
    if (!set) this.sockets.set(app, (set = new Set()));
    set.add(ws);
    for (const e of this.pending.values()) if (e.app === app && e.on === null) this.deliver(e, ws);
  }

  /** The websocket closed: what it did not acknowledge goes to another websocket of the app now,
   *  or to the next one it opens. */
  closed(app: string, ws: WebSocket): void {
    this.sockets.get(app)?.delete(ws);
    const other = [...(this.sockets.get(app) ?? [])].find((w) => w.readyState === w.OPEN);
    for (const e of this.pending.values()) {
      if (e.on !== ws) continue;
      e.on = null;
      if (other) this.deliver(e, other);
    }
  }

  send(app: string, ws: WebSocket, event: Record<string, unknown>): string {
    const e: Envelope = { id: randomUUID(), app, retry: -1, event, on: null, firstSentAt: Date.now() };
    this.pending.set(e.id, e);
    this.unacked.add(e.id);
    this.deliver(e, ws);
    return e.id;
  }

  /** Envelopes first sent before `t` (Date.now()) and still not acknowledged. */
  unackedSince(t: number): string[] {
    return [...this.pending.values()].filter((e) => e.firstSentAt < t).map((e) => e.id);
  }

  ack(id: string): void {
    if (!this.pending.delete(id)) return;
    this.unacked.delete(id);
    this.acked.push(id);
  }

  private deliver(e: Envelope, ws: WebSocket): void {
    e.retry++;
    if (e.retry > 0) this.redelivered++;
    e.on = ws;
    ws.send(JSON.stringify({
      envelope_id: e.id,
      type: "events_api",
      accepts_response_payload: false,
      retry_attempt: e.retry,
      retry_reason: e.retry > 0 ? "timeout" : "",
      payload: { type: "event_callback", event: e.event },
    }));
  }
}

export class WsService {
  readonly service: string;
  private readonly http: http.Server;
  private readonly wss: WebSocketServer;
  private readonly sockets = new Set<net.Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** apps: the envelopes (shared by the service's instances when startBackends made them) */
  readonly envelopes: EnvelopeStore;
  /** connections accepted since start */
  connectionsTotal = 0;
  /** health answers: set false to make /healthz answer 503 */
  healthy = true;
  instance = "";

  /** apps: envelope ids sent and not yet acknowledged */
  get unacked(): Set<string> { return this.envelopes.unacked; }
  get acked(): string[] { return this.envelopes.acked; }

  constructor(private readonly opts: ServiceOptions) {
    this.service = opts.service;
    this.envelopes = opts.envelopes ?? new EnvelopeStore();
    this.http = http.createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://backend");
      if (req.method === "POST" && url.pathname === "/ops/disconnect" && this.service === "apps") {
        const reason = url.searchParams.get("reason") ?? "";
        const ok = (DISCONNECT_REASONS as readonly string[]).includes(reason);
        const body = ok ? JSON.stringify({ sent: this.disconnect(reason as DisconnectReason) }) : JSON.stringify({ error: `reason must be one of ${DISCONNECT_REASONS.join(", ")}` });
        res.writeHead(ok ? 200 : 400, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
        res.end(body);
        return;
      }
      if (req.method === "GET" && url.pathname === "/healthz") {
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
      const app = new URL(req.url ?? "/", "http://backend").searchParams.get("app_id") ?? DEFAULT_APP;
      this.wss.handleUpgrade(req, socket as net.Socket, head, (ws) => this.onConnection(ws, app));
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

  private readonly apps = new Map<WebSocket, string>();

  private onConnection(ws: WebSocket, app: string): void {
    this.connectionsTotal++;
    const apps = this.service === "apps";
    const hello: Record<string, unknown> = { type: "hello", service: this.service, instance: this.instance };
    if (apps) {
      hello.num_connections = this.wss.clients.size;
      hello.debug_info = { host: `applink-${this.instance}`, build_number: 1, approximate_connection_time: 18060 };
      hello.connection_info = { app_id: app };
    }
    ws.send(JSON.stringify(hello));
    const ping = this.every(this.opts.pingIntervalMs ?? DEFAULT_PING_MS, () => { if (ws.readyState === ws.OPEN) ws.ping(); });
    let events: NodeJS.Timeout | null = null;
    if (apps) {
      this.apps.set(ws, app);
      this.envelopes.open(app, ws);
      this.sendEnvelope(ws);
      const every = this.opts.eventIntervalMs ?? 30_000;
      if (every > 0) events = this.every(every, () => this.sendEnvelope(ws));
    }
    ws.on("message", (data, isBinary) => {
      if (isBinary) return;
      const text = data.toString();
      const m = parseJson(text);
      if (apps && m && typeof m.envelope_id === "string" && m.type === undefined) {
        this.envelopes.ack(m.envelope_id);
        return;
      }
      if (!apps && m && m.type === "ping" && m.id !== undefined) {
        ws.send(JSON.stringify({ type: "pong", reply_to: m.id }));
        return;
      }
      ws.send(JSON.stringify({ type: "echo", data: text }));
    });
    ws.on("error", () => { /* the close event follows */ });
    ws.on("close", () => {
      clearInterval(ping); this.timers.delete(ping);
      if (events) { clearInterval(events); this.timers.delete(events); }
      if (apps) { this.apps.delete(ws); this.envelopes.closed(app, ws); }
    });
  }

  /** Sends one Socket Mode events_api envelope; it stays in `unacked` until the client acks it
   *  (on this websocket or, after a redelivery, another of its app). */
  sendEnvelope(ws: WebSocket): string {
    const app = this.apps.get(ws) ?? DEFAULT_APP;
    return this.envelopes.send(app, ws, { type: "app_mention", text: `hello from ${this.instance}`, ts: `${Date.now() / 1000}` });
  }

  /** Slack's disconnect message to every Socket Mode websocket of this instance; returns how many.
   *  Slack sends warning some seconds before refresh_requested, and link_disabled when the app's
   *  Socket Mode was turned off (api.slack.com/apis/socket-mode, "Disconnect events"). */
  disconnect(reason: DisconnectReason): number {
    let n = 0;
    for (const ws of this.apps.keys()) {
      if (ws.readyState !== ws.OPEN) continue;
      ws.send(JSON.stringify({ type: "disconnect", reason, debug_info: { host: `applink-${this.instance}` } }));
      n++;
    }
    return n;
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

/** A JSON object, or null (a plain message to echo). A Socket Mode ack is
 *  {"envelope_id": "...", "payload"?: {...}} without a type. */
function parseJson(text: string): Record<string, unknown> | null {
  try {
    const m = JSON.parse(text) as unknown;
    return m && typeof m === "object" && !Array.isArray(m) ? m as Record<string, unknown> : null;
  } catch { return null; }
}
