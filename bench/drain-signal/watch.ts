// drain-signal target: watching frames costs <= 1.5x a no-op body callback per 1 KiB chunk when
// no drain is active. All modules run in the same host (envoy-test/host), same SDK dispatch:
//   no-op:        build/add-header.wasm (no onResponseBody override: the SDK default returns Continue)
//   read-only:    bench/peers/read-body/index.ts (getRaw + free of each chunk, nothing else)
//   drain-signal: build/drain-signal.wasm on an upgraded websocket, no drain active
// Two server streams, cut into 1 KiB chunks regardless of frame ends: small frames (40..400
// bytes, several headers per chunk) and large frames (64 KiB, most chunks all payload).
// Usage: npx tsx bench/drain-signal/watch.ts [calls per round, default 100000]
import { existsSync, mkdirSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { buildFilters } from "../../envoy-test/build.ts";
import { Host, ManualClock, type HttpStream } from "../../envoy-test/host/index.ts";
import { compileAs } from "../support/compile.ts";

const CALLS = Number(process.argv[2] ?? 100000);
const ROUNDS = 7;
const READ_ONLY = "build/bench/drain-signal-read-only.wasm";

function serverStream(bytes: number, frameLen: (n: number) => number): Uint8Array {
  const out = new Uint8Array(bytes + 70000);
  let o = 0, n = 0;
  while (o < bytes) {
    const len = frameLen(n++);
    out[o++] = 0x82;
    if (len < 126) out[o++] = len;
    else if (len < 65536) { out[o++] = 126; out[o++] = len >> 8; out[o++] = len & 0xff; }
    else { out[o++] = 127; o += 5; out[o++] = len >> 16; out[o++] = (len >> 8) & 0xff; out[o++] = len & 0xff; }
    o += len;
  }
  return out.subarray(0, o);
}

async function openStream(wasm: string, rootId: string, configuration: string): Promise<HttpStream> {
  const host = new Host({ clock: new ManualClock() });
  const plugin = await host.loadPlugin({ wasm, rootId, vmId: rootId, configuration, workers: 1 });
  const s = plugin.createHttpStream({ properties: { connection_id: 42 } });
  s.callOnRequestHeaders([[":method", "GET"], [":path", "/messages"], [":authority", "wss"], [":scheme", "http"],
    ["upgrade", "websocket"], ["connection", "Upgrade"], ["x-wss-service", "messages"]]);
  s.callOnResponseHeaders([[":status", "101"]]);
  return s;
}

function round(s: HttpStream, chunks: Uint8Array[], from: number): number {
  const t0 = performance.now();
  for (let i = 0; i < CALLS; i++) s.callOnResponseBody(chunks[(from + i) % chunks.length], false);
  return ((performance.now() - t0) * 1e6) / CALLS;   // ns per callback
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function buildReadOnly(): Promise<void> {
  mkdirSync("build/bench", { recursive: true });
  // drain-signal's target options (runtime, optimisation, abort routing), another entry and output.
  await compileAs(["bench/peers/read-body/index.ts", "--config", "asconfig.json", "--target", "drain-signal",
    "--outFile", READ_ONLY], "drain-signal read-only");
}

async function measure(name: string, data: Uint8Array): Promise<void> {
  // Whole chunks only, and the stream repeats from its start, so every chunk starts where the
  // watcher expects (the cut points are the same on every pass).
  const usable = data.length - (data.length % 1024);
  const chunks: Uint8Array[] = [];
  for (let off = 0; off < usable; off += 1024) chunks.push(data.subarray(off, off + 1024));
  const streams = [
    await openStream("build/add-header.wasm", "add_header", JSON.stringify({ name: "x-bench", value: "1" })),
    await openStream(READ_ONLY, "read_only", ""),
    await openStream("build/drain-signal.wasm", "drain_signal", ""),
  ];
  const times: number[][] = [[], [], []];
  for (const s of streams) round(s, chunks, 0);           // warm up
  let pos = CALLS;
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < 3; k++) times[k].push(round(streams[k], chunks, pos));
    pos += CALLS;
  }
  const [noop, read, watch] = times.map(median);
  console.log(`${name}: median ns per 1 KiB response-body callback (${CALLS} calls x ${ROUNDS} rounds)`);
  console.log(`  no-op ${noop.toFixed(0)} | read-only ${read.toFixed(0)} | drain-signal ${watch.toFixed(0)}`);
  console.log(`  drain-signal / no-op = ${(watch / noop).toFixed(2)}x   drain-signal / read-only = ${(watch / read).toFixed(2)}x`);
}

async function main(): Promise<void> {
  const missing = ["add-header", "drain-signal"].filter((n) => !existsSync(`build/${n}.wasm`));
  if (missing.length) await buildFilters(missing);
  await buildReadOnly();
  const small = serverStream(1024 * 2048, (n) => 40 + ((n * 97) % 361));
  const large = serverStream(1024 * 2048, () => 65536);
  await measure("small frames (40..400 B)", fitToChunks(small));
  await measure("large frames (64 KiB)", fitToChunks(large));
}

/** Appends one frame so the stream length is a multiple of 1024 (the stream then repeats cleanly). */
function fitToChunks(s: Uint8Array): Uint8Array {
  let pad = 1024 - (s.length % 1024);
  if (pad < 130) pad += 1024;                            // 16-bit length form needs >= 126 (RFC 6455 5.2)
  const frame = new Uint8Array(pad);
  const len = pad - 4;
  frame[0] = 0x82; frame[1] = 126; frame[2] = len >> 8; frame[3] = len & 0xff;
  const out = new Uint8Array(s.length + pad);
  out.set(s, 0); out.set(frame, s.length);
  return out;
}

main().catch((e) => { console.error(e); process.exit(1); });
