// Shared pieces of the drain-signal host and e2e tests: frames as hex, the schedule formula of
// filters/drain-signal/README.md, and stream helpers over the host driver API.
import type { HeaderList, HttpStream, Plugin } from "../../../../envoy-test/host/index.ts";

export const WASM = "build/drain-signal.wasm";
export const TOKEN = "test-token-0123456789";
/** ManualClock's wall clock at start (envoy-test/host/clock.ts): 2026-01-01T00:00:00Z. */
export const EPOCH_MS = Date.UTC(2026, 0, 1);

export const hex = (s: string): Uint8Array => Uint8Array.from(s.trim().split(/\s+/).map((b) => parseInt(b, 16)));
export const toHex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");

/** Server frames (unmasked). */
export const HELLO = hex("81 05 68 65 6c 6c 6f");                 // Text "hello"
export const PING = hex("89 00");                                 // Ping
export const FRAG_START = hex("01 02 61 62");                     // Text "ab", no FIN
export const FRAG_END = hex("80 02 63 64");                       // Continuation "cd", FIN
export const GOODBYE = hex("81 12 7b 22 74 79 70 65 22 3a 22 67 6f 6f 64 62 79 65 22 7d"); // {"type":"goodbye"}
export const DISCONNECT = Buffer.concat([hex("81 32"), Buffer.from('{"type":"disconnect","reason":"refresh_requested"}')]);
export const CLOSE_1001 = hex("88 02 03 e9");

export const concat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

/** SplitMix64's finalizer and the signal offset, as README.md documents them. */
const M64 = (1n << 64n) - 1n;
export function mix64(x: bigint): bigint {
  x = (x + 0x9e3779b97f4a7c15n) & M64;
  x = ((x ^ (x >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
  x = ((x ^ (x >> 27n)) * 0x94d049bb133111ebn) & M64;
  return x ^ (x >> 31n);
}
export const signalOffsetMs = (connectionId: number, windowMs: number): number =>
  Number(((mix64(BigInt(connectionId)) >> 32n) * BigInt(windowMs)) >> 32n);

export function upgradeHeaders(service: string, path = `/${service}`): HeaderList {
  return [
    [":method", "GET"], [":path", path], [":authority", "wss.example"], [":scheme", "http"],
    ["upgrade", "websocket"], ["connection", "Upgrade"], ["sec-websocket-version", "13"],
    ["sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="], ["x-wss-service", service],
  ];
}

/** A websocket stream through the upgrade: request headers, then a 101. */
export function openWebsocket(plugin: Plugin, opts: { service: string; worker?: number; connectionId: number; deflate?: boolean }): HttpStream {
  const s = plugin.createHttpStream({ worker: opts.worker, properties: { connection_id: opts.connectionId } });
  s.callOnRequestHeaders(upgradeHeaders(opts.service));
  const resp: HeaderList = [[":status", "101"], ["upgrade", "websocket"], ["connection", "Upgrade"]];
  if (opts.deflate) resp.push(["sec-websocket-extensions", "permessage-deflate"]);
  s.callOnResponseHeaders(resp);
  return s;
}

/** Sends one server->client chunk and returns what the client receives. */
export function serverSends(s: HttpStream, chunk: Uint8Array): Uint8Array {
  s.callOnResponseBody(chunk, false);
  return s.responseBody;
}

export function controlRequest(plugin: Plugin, method: string, path: string, token: string | null = TOKEN, worker = 0):
  { status: number; body: string } {
  const s = plugin.createHttpStream({ worker });
  const h: HeaderList = [[":method", method], [":path", path], [":authority", "ops.internal"], [":scheme", "http"]];
  if (token !== null) h.push(["x-drain-token", token]);
  s.callOnRequestHeaders(h, true);
  const r = s.localResponse;
  s.complete();
  if (!r) throw new Error(`control request ${method} ${path}: no local reply`);
  return { status: r.status, body: Buffer.from(r.body).toString("utf8") };
}
