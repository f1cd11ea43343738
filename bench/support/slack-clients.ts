// The official Slack websocket clients, unmodified and at their default settings, recorded for the
// drain tests and the drain benchmark: @slack/rtm-api RTMClient and @slack/socket-mode
// SocketModeClient (versions pinned in package.json; the e2e asserts the behaviour of exactly
// these). They reach the gateway through a loopback Slack Web API (envoy-test/backends/
// slack-web-api.ts) that hands out the websocket URL.
//
// What is recorded, per client: each websocket's ready time (the server's hello), its close time
// and close code as the client saw it, the drain signal it received, its Socket Mode envelopes,
// and every error or warning the library logged. The websocket objects are read from the
// clients' own fields (RTMClient.websocket, a `ws` WebSocket; SocketModeClient.websocket.websocket,
// an undici WebSocket) only to watch their close events; nothing of the clients is changed.
import { RTMClient } from "@slack/rtm-api";
import { SocketModeClient } from "@slack/socket-mode";
import { LogLevel, type Logger } from "@slack/rtm-api";

export type Kind = "rtm" | "socket-mode";

export interface Connection {
  readyAt: number;          // the server's hello (Date.now())
  closedAt: number;         // 0: still open
  closeCode: number;        // as the client saw it (1006: no Close frame)
  signal: string | null;    // goodbye / disconnect text received on it
  signalAt: number;
}

export interface ClientRecord {
  kind: Kind;
  index: number;
  connections: Connection[];
  /** error- and warn-level lines the library logged, and `error` events */
  errors: string[];
  /** when each of `errors` was logged (Date.now()) */
  errorsAt: number[];
  /** envelope ids acknowledged */
  acked: string[];
}

/** Collects what a library logs at warn and error level; debug and info are dropped. */
class RecordingLogger implements Logger {
  private level: LogLevel = LogLevel.INFO;
  constructor(private readonly sink: string[], private readonly at: number[]) {}
  debug(): void {}
  info(): void {}
  warn(...msg: unknown[]): void { this.sink.push(`warn: ${msg.map(String).join(" ")}`); this.at.push(Date.now()); }
  error(...msg: unknown[]): void { this.sink.push(`error: ${msg.map(String).join(" ")}`); this.at.push(Date.now()); }
  setLevel(level: LogLevel): void { this.level = level; }
  getLevel(): LogLevel { return this.level; }
  setName(): void {}
}

export interface SlackClient {
  readonly rec: ClientRecord;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** the open connection, if any */
  current(): Connection | null;
}

function signalOf(text: string): string | null {
  try {
    const m = JSON.parse(text) as { type?: string };
    return m.type === "goodbye" || m.type === "disconnect" ? text : null;
  } catch { return null; }
}

export function rtmClient(index: number, webApiUrl: string): SlackClient {
  const rec: ClientRecord = { kind: "rtm", index, connections: [], errors: [], errorsAt: [], acked: [] };
  const rtm = new RTMClient(`xoxb-rtm-${index}`, { slackApiUrl: webApiUrl, logger: new RecordingLogger(rec.errors, rec.errorsAt) });
  rtm.on("error", (e: Error) => { rec.errors.push(`error event: ${e.message}`); rec.errorsAt.push(Date.now()); });
  let conn: Connection | null = null;
  rtm.on("authenticated", () => {
    const ws = (rtm as unknown as { websocket?: import("ws").WebSocket }).websocket;
    if (!ws) { rec.errors.push("harness: no websocket after authenticated"); return; }
    const c: Connection = { readyAt: 0, closedAt: 0, closeCode: 0, signal: null, signalAt: 0 };
    ws.on("message", (data) => {
      const text = data.toString();
      if (c.readyAt === 0 && text.includes('"hello"')) { c.readyAt = Date.now(); rec.connections.push(c); conn = c; }
      const s = signalOf(text);
      if (s && !c.signal) { c.signal = s; c.signalAt = Date.now(); }
    });
    ws.once("close", (code: number) => { c.closedAt = Date.now(); c.closeCode = code; if (conn === c) conn = null; });
  });
  return {
    rec,
    // RTMClient.start resolves when rtm.connect answered, before the websocket's hello.
    start: async () => { await rtm.start(); await waitFor(`rtm ${index}: hello`, () => conn !== null, 10000); },
    stop: async () => { await rtm.disconnect().catch(() => {}); },
    current: () => conn,
  };
}

export function socketModeClient(index: number, webApiUrl: string): SlackClient {
  const rec: ClientRecord = { kind: "socket-mode", index, connections: [], errors: [], errorsAt: [], acked: [] };
  const client = new SocketModeClient({ appToken: `xapp-${index}`, logger: new RecordingLogger(rec.errors, rec.errorsAt), clientOptions: { slackApiUrl: webApiUrl } });
  client.on("error", (e: Error) => { rec.errors.push(`error event: ${e.message}`); rec.errorsAt.push(Date.now()); });
  let conn: Connection | null = null;
  client.on("connected", () => {
    const ws = (client as unknown as { websocket?: { websocket?: EventTarget | null } }).websocket?.websocket;
    const c: Connection = { readyAt: Date.now(), closedAt: 0, closeCode: 0, signal: null, signalAt: 0 };
    rec.connections.push(c);
    conn = c;
    if (!ws) { rec.errors.push("harness: no websocket after connected"); return; }
    ws.addEventListener("message", (e) => {
      const data = (e as MessageEvent).data;
      const s = typeof data === "string" ? signalOf(data) : null;
      if (s && !c.signal) { c.signal = s; c.signalAt = Date.now(); }
    });
    ws.addEventListener("close", (e) => { c.closedAt = Date.now(); c.closeCode = (e as CloseEvent).code; if (conn === c) conn = null; });
  });
  client.on("app_mention", async ({ ack, envelope_id }: { ack: () => Promise<void>; envelope_id: string }) => {
    await ack();
    rec.acked.push(envelope_id);
  });
  return {
    rec,
    start: async () => { await client.start(); await waitFor(`socket-mode ${index}: hello`, () => conn !== null, 10000); },
    stop: async () => { await client.disconnect().catch(() => {}); },
    current: () => conn,
  };
}

/** Starts clients in batches (all at once would only measure the accept queue). */
export async function startAll(clients: SlackClient[], batch = 50): Promise<void> {
  for (let i = 0; i < clients.length; i += batch) await Promise.all(clients.slice(i, i + batch).map((c) => c.start()));
}

export async function waitFor(what: string, cond: () => boolean, timeoutMs: number, detail?: () => string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail ? `: ${detail()}` : ""}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A client's move in a drain: its last connection opened before `from` and the first one
 *  opened after it. */
export interface Move { kind: Kind; signalAt: number; oldClosedAt: number; oldCloseCode: number; newReadyAt: number; signal: string | null }

export function moveOf(rec: ClientRecord, from: number): Move | null {
  const old = [...rec.connections].reverse().find((c) => c.readyAt < from);
  const next = rec.connections.find((c) => c.readyAt >= from);
  if (!old) return null;
  return { kind: rec.kind, signalAt: old.signalAt, oldClosedAt: old.closedAt, oldCloseCode: old.closeCode, newReadyAt: next?.readyAt ?? 0, signal: old.signal };
}
