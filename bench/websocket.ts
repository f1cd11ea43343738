// Websocket streams in envoy-test/host: cost of a 1 KiB body chunk in each direction, linear
// memory per open websocket, and linear memory over many websocket lifecycles.
// Modules: conn-accounting (root conn_accounting) and drain-signal (root drain_signal, no drain
// active), against the floor's no-op body callback (bench/floor.wat).
import type { HeaderList, HttpStream, Plugin } from "../envoy-test/host/index.ts";
import { benchPlugin, fmt, interleavedMedians, ratio, table, target, type Target } from "./lib.ts";
import { linearBytes } from "./http-stream.ts";
import { floorModule } from "./peers.ts";
import { buildFixture } from "./support/compile.ts";

// Request headers as ws-router leaves them for the service "messages" (the RFC 6455 1.3 key).
const UPGRADE: HeaderList = [
  [":method", "GET"], [":scheme", "https"], [":authority", "wss-primary.slack.com"], [":path", "/messages"],
  ["upgrade", "websocket"], ["connection", "Upgrade"], ["sec-websocket-version", "13"],
  ["sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="], ["x-wss-service", "messages"], ["x-wss-cluster", "messages"],
];
const SWITCHING: HeaderList = [[":status", "101"], ["upgrade", "websocket"], ["connection", "Upgrade"], ["sec-websocket-accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="]];

interface Module { name: string; wasm: string | Uint8Array; rootId: string; configuration: string }

async function modules(): Promise<Module[]> {
  return [
    { name: "conn-accounting", wasm: "build/conn-accounting.wasm", rootId: "conn_accounting", configuration: JSON.stringify({ services: [{ name: "messages" }] }) },
    { name: "drain-signal", wasm: "build/drain-signal.wasm", rootId: "drain_signal", configuration: "" },
    { name: "floor", wasm: await floorModule(), rootId: "add_header", configuration: "" },
  ];
}

async function load(m: Module): Promise<Plugin> {
  return (await benchPlugin(m.name, { wasm: m.wasm, rootId: m.rootId, vmId: "wss", configuration: m.configuration })).plugin;
}

let connectionId = 1;
function open(plugin: Plugin): HttpStream {
  const s = plugin.createHttpStream({ worker: 0, properties: { connection_id: connectionId++ } });
  s.callOnRequestHeaders(UPGRADE, false);
  s.callOnResponseHeaders(SWITCHING, false);
  return s;
}

/** One frame, RFC 6455 5.2: FIN + opcode, payload length in the 7/16-bit form, masked from clients. */
function frame(opcode: number, payload: Uint8Array, mask: Uint8Array | null): Uint8Array {
  const len = payload.length;
  const head = [0x80 | opcode, (mask ? 0x80 : 0) | (len < 126 ? len : 126)];
  if (len >= 126) head.push(len >> 8, len & 0xff);
  const out = new Uint8Array(head.length + (mask ? 4 : 0) + len);
  out.set(head, 0);
  let o = head.length;
  if (mask) { out.set(mask, o); o += 4; }
  for (let i = 0; i < len; i++) out[o + i] = mask ? payload[i] ^ mask[i & 3] : payload[i];
  return out;
}

/** A realistic stream: JSON text messages of varying size (server: 60..900 B events; client:
 *  20..200 B pings and typing-size messages, masked), ending with a binary filler frame so the length
 *  is a multiple of 1024 and the stream, cut into 1 KiB chunks, repeats cleanly (every pass
 *  cuts at the same points, so the frame readers stay in step). */
export function wsStream(direction: "server" | "client", bytes = 256 * 1024): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0, n = 0;
  while (total < bytes) {
    const size = direction === "server" ? 60 + ((n * 211) % 841) : 20 + ((n * 37) % 181);
    const base = direction === "server" ? `{"type":"message","channel":"C024BE91L","ts":"${1700000000 + n}.000200"` : `{"type":"ping","id":${n}`;
    const pad = size - base.length - 11;   // ,"text":"" and the closing brace
    const body = Buffer.from(pad > 0 ? `${base},"text":"${"x".repeat(pad)}"}` : `${base}}`);
    const f = frame(0x1, body, direction === "client" ? Uint8Array.of(0x37, 0xfa, 0x21, n & 0xff) : null);
    parts.push(f); total += f.length; n++;
  }
  let pad = 1024 - (total % 1024);
  const headLen = direction === "client" ? 8 : 4;
  if (pad < 126 + headLen) pad += 1024;
  parts.push(frame(0x2, new Uint8Array(pad - headLen), direction === "client" ? Uint8Array.of(1, 2, 3, 4) : null));
  return new Uint8Array(Buffer.concat(parts));
}

const chunks = (s: Uint8Array): Uint8Array[] => Array.from({ length: s.length / 1024 }, (_, i) => s.subarray(i * 1024, (i + 1) * 1024));

export async function bodyChunks(opts: { iterations: number; rounds: number }): Promise<{ results: Record<string, unknown>; targets: Target[] }> {
  const mods = await modules();
  const down = chunks(wsStream("server")), up = chunks(wsStream("client"));
  const cases: Record<string, (n: number) => void> = {};
  for (const m of mods) {
    const s = open(await load(m));
    let i = 0, j = 0;
    cases[`${m.name} server->client`] = (n) => { for (let k = 0; k < n; k++) s.callOnResponseBody(down[i++ % down.length], false); };
    const c = open(await load(m));
    cases[`${m.name} client->server`] = (n) => { for (let k = 0; k < n; k++) c.callOnRequestBody(up[j++ % up.length], false); };
  }
  // Each case keeps its own stream position; iterations are a multiple of the chunk count so
  // every round starts at the stream's start.
  const ns = interleavedMedians(cases, opts.iterations, opts.rounds);
  const rows = mods.flatMap((m) => (["server->client", "client->server"] as const).map((d) =>
    [m.name, d, ns[`${m.name} ${d}`], ratio(ns[`${m.name} ${d}`], ns[`floor ${d}`])]));
  table(`Time per 1 KiB websocket body chunk in envoy-test/host (CPU ns, median of ${opts.rounds} rounds x ${opts.iterations}; JSON text frames)`,
    ["module", "direction", "ns", "x floor"], rows);
  const targets: Target[] = [];
  for (const m of mods.slice(0, 2)) for (const d of ["server->client", "client->server"])
    targets.push(target(`${m.name} ${d} body chunk / floor no-op`, ratio(ns[`${m.name} ${d}`], ns[`floor ${d}`]), 1.5, "x"));
  return { results: { nsPerChunk: ns, chunksPerStream: { server: down.length, client: up.length } }, targets };
}

/** One reading of linear memory per open websocket (bytes). */
interface MemoryReading { opened: number; before: number; after: number; growthOverOpened: number; bytesPerWebsocket: number | null }

/** Opens websockets past the 101 after 1,000 warm-up, all kept open, until `minOpened` are open
 *  and two memory growths were seen (at most 400,000). TLSF grows memory in steps that double,
 *  so "growth / opened" can be off by a whole step; the per-websocket figure is read between
 *  growth events instead: the bytes added at a growth / the websockets that filled them before
 *  the next growth. */
async function memoryPerWebsocket(m: Module, minOpened: number): Promise<MemoryReading> {
  const plugin = await load(m);
  const held: HttpStream[] = [];
  for (let i = 0; i < 1000; i++) held.push(open(plugin));
  const before = linearBytes(plugin);
  const growths: { at: number; bytes: number }[] = [{ at: 0, bytes: before }];
  let opened = 0;
  while (opened < minOpened || (growths.length < 3 && opened < 400_000)) {
    held.push(open(plugin)); opened++;
    const now = linearBytes(plugin);
    if (now !== growths[growths.length - 1].bytes) growths.push({ at: opened, bytes: now });
  }
  const after = linearBytes(plugin);
  const g = growths.length;
  // Memory added at growths 1..g-2 was filled by the websockets opened from growth 1 to g-1.
  const perWs = g >= 3 ? (growths[g - 2].bytes - growths[0].bytes) / (growths[g - 1].at - growths[1].at) : null;
  for (const s of held) s.complete();
  return { opened, before, after, growthOverOpened: +((after - before) / opened).toFixed(1), bytesPerWebsocket: perWs === null ? null : +perWs.toFixed(1) };
}

/** The module built with an SDK that collects at every callback exit (setCollectSchedule(1, 1)):
 *  bench/fixtures/<name>/collect-every-exit.ts. Linear memory then holds only live state. */
async function collectEveryExit(m: Module): Promise<Module> {
  return { ...m, wasm: await buildFixture(`bench/fixtures/${m.name}/collect-every-exit.ts`, m.name) };
}

/** Linear memory per open websocket, two figures per filter:
 *  - state: the build that collects at every callback exit, so the growth is what an open
 *    websocket keeps (its objects, its slots in the SDK's context table and the filter's maps).
 *    The <= 128 B target applies to this figure. Each collection walks the whole live heap, so
 *    this run stops at the second growth instead of opening `n`.
 *  - footprint between collections: the normal build (sdk/gc.ts schedule: every
 *    max(1024, 4 x live contexts) callbacks), state plus the garbage not yet collected. Information. */
export async function perWebsocket(n: number): Promise<{ results: Record<string, unknown>; targets: Target[] }> {
  const out: Record<string, { state: MemoryReading; betweenCollections: MemoryReading }> = {};
  for (const m of (await modules()).slice(0, 2)) {
    out[m.name] = { state: await memoryPerWebsocket(await collectEveryExit(m), 0), betweenCollections: await memoryPerWebsocket(m, n) };
  }
  const rows = Object.entries(out).flatMap(([k, v]) => ([
    ["state (collection at every callback exit)", v.state], ["footprint between collections (default schedule)", v.betweenCollections],
  ] as const).map(([what, r]) => [k, what, r.opened, r.before, r.after, r.growthOverOpened, r.bytesPerWebsocket]));
  table(`Linear memory per open websocket (opened past the 101 after 1,000 warm-up, until two growths; default schedule: ${fmt(n)}+; bytes)`,
    ["module", "measured", "opened", "before", "after", "growth / opened", "per websocket (between growths)"], rows);
  return {
    results: out,
    targets: Object.entries(out).map(([k, v]) => target(`${k} state per open websocket (collection at every callback exit)`, v.state.bytesPerWebsocket, 128, "B")),
  };
}

/** Linear memory over many websocket lifecycles (open, 2 frames each way, close) after warm-up. */
export async function websocketLifecycles(n: number): Promise<{ results: Record<string, unknown>; targets: Target[] }> {
  const down = chunks(wsStream("server")), up = chunks(wsStream("client"));
  const out: Record<string, { afterWarmup: number; after: number; growthPerLifecycle: number }> = {};
  for (const m of (await modules()).slice(0, 2)) {
    const plugin = await load(m);
    const run = (k: number): void => {
      for (let i = 0; i < k; i++) {
        const s = open(plugin);
        s.callOnRequestBody(up[i % up.length], false);
        s.callOnResponseBody(down[i % down.length], false);
        s.complete();
      }
    };
    run(10_000);
    const afterWarmup = linearBytes(plugin);
    run(n);
    const after = linearBytes(plugin);
    out[m.name] = { afterWarmup, after, growthPerLifecycle: +((after - afterWarmup) / n).toFixed(2) };
  }
  table(`Linear memory over ${fmt(n)} websocket lifecycles after 10,000 warm-up (bytes)`,
    ["module", "after warm-up", "after", "growth per lifecycle"], Object.entries(out).map(([k, v]) => [k, v.afterWarmup, v.after, v.growthPerLifecycle]));
  return { results: out, targets: Object.entries(out).map(([k, v]) => target(`${k} linear memory growth over websocket lifecycles`, v.after - v.afterWarmup, 0, "B")) };
}
