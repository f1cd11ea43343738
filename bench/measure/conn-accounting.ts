// Measurements for conn-accounting (not a test: prints numbers; run with
//   node --import tsx bench/measure/conn-accounting.ts [lifecycles]
// ). 1) linear memory per held websocket, 2) linear memory over many lifecycles after warm-up,
// 3) cost of a 1 KiB body chunk with frame counting vs a no-op body callback in the same host.
import { Host, ManualClock, type Plugin, type HttpStream } from "../../envoy-test/host/index.ts";
import { ensureBuilt, VM_ID, upgrade, SWITCHING, CLIENT_HELLO, SERVER_HELLO } from "../support/conn-accounting.ts";
import { buildFixture } from "../support/compile.ts";

const CONFIG = JSON.stringify({ services: [{ name: "apps" }] });

async function load(wasmPath?: string): Promise<{ host: Host; plugin: Plugin }> {
  const wasm = wasmPath ?? await ensureBuilt();
  const host = new Host({ clock: new ManualClock() });
  const plugin = await host.loadPlugin({ wasm, rootId: "conn_accounting", vmId: VM_ID, configuration: CONFIG, workers: 1 });
  return { host, plugin };
}

function openUpgraded(plugin: Plugin): HttpStream {
  const s = plugin.createHttpStream({ worker: 0 });
  s.callOnRequestHeaders(upgrade("apps"), false);
  s.callOnResponseHeaders(SWITCHING, false);
  return s;
}

// 1) Memory per held websocket. TLSF grows linear memory by doubling, so the bytes per stream
// are read between two growth events: added bytes / streams opened until the next growth.
// Twice: with a collection at every callback exit (the state a websocket keeps: its object and
// its slot in the SDK's context table), then with the SDK's default schedule (that plus the
// garbage of the up to 4 x live callbacks between collections, see sdk/gc.ts).
async function perWebsocket(label: string, wasmPath?: string): Promise<void> {
  console.log(label);
  const { plugin } = await load(wasmPath);
  const held: HttpStream[] = [];
  for (let i = 0; i < 1000; i++) held.push(openUpgraded(plugin));          // warm-up
  const mem = () => plugin.workers[0].memoryBytes().length;
  const growths: { n: number; bytes: number }[] = [{ n: held.length, bytes: mem() }];
  let last = mem();
  while (growths.length < 4 && held.length < 400_000) {
    held.push(openUpgraded(plugin));
    const m = mem();
    if (m !== last) { growths.push({ n: held.length, bytes: m }); last = m; }
  }
  for (let i = 2; i < growths.length; i++) {
    const added = growths[i - 1].bytes - growths[i - 2].bytes;   // memory added at growth i-1 ...
    const streams = growths[i].n - growths[i - 1].n;            // ... filled by these streams
    console.log(`  memory per held websocket: ${(added / streams).toFixed(1)} B ` +
      `(${added} B added at ${growths[i - 1].n} streams, filled by the next ${streams})`);
  }
  for (const s of held) s.complete();
}

// 2) Memory over many lifecycles after warm-up.
async function lifecycles(n: number): Promise<void> {
  const { plugin } = await load();
  const one = () => {
    const s = openUpgraded(plugin);
    s.callOnRequestBody(CLIENT_HELLO, false);
    s.callOnResponseBody(SERVER_HELLO, false);
    s.complete();
  };
  for (let i = 0; i < 5000; i++) one();
  const warm = plugin.workers[0].memoryBytes().length;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) one();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const after = plugin.workers[0].memoryBytes().length;
  console.log(`linear memory after warm-up: ${warm} B; after ${n} more lifecycles: ${after} B (${after === warm ? "no growth" : "GREW"}; ${(ms * 1000 / n).toFixed(1)} us per lifecycle)`);
}

// 3) Per 1 KiB chunk: a stream whose 101 never came returns at once (the no-op body callback);
// an upgraded stream reads the chunk (getRaw), scans it and batches the counts.
function frames(payload: number, count: number, masked: boolean): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    out.push(0x81, (masked ? 0x80 : 0) | payload);
    if (masked) out.push(1, 2, 3, 4);
    for (let j = 0; j < payload; j++) out.push(0x61);
  }
  return Uint8Array.from(out);
}

async function chunkCost(): Promise<void> {
  const { plugin } = await load();
  const noop = plugin.createHttpStream({ worker: 0 });
  noop.callOnRequestHeaders(upgrade("apps"), false);               // reserved, never upgraded
  const counting = openUpgraded(plugin);
  const cases: [string, Uint8Array, boolean][] = [
    ["server->client, 1 KiB chunks of 125-byte frames", frames(125, 4096, false), false],
    ["client->server, 1 KiB chunks of masked 100-byte frames", frames(100, 4096, true), true],
    ["server->client, 1 KiB chunks inside one 4 MiB frame", new Uint8Array([0x82, 0x7f, 0, 0, 0, 0, 0, 0x40, 0, 0, ...new Array(4 << 20).fill(0x61)]), false],
  ];
  for (const [name, stream, request] of cases) {
    const chunks: Uint8Array[] = [];
    for (let o = 0; o + 1024 <= stream.length; o += 1024) chunks.push(stream.subarray(o, o + 1024));
    const run = (s: HttpStream) => {
      const t0 = process.hrtime.bigint();
      for (const c of chunks) request ? s.callOnRequestBody(c, false) : s.callOnResponseBody(c, false);
      return Number(process.hrtime.bigint() - t0) / chunks.length;
    };
    const a: number[] = [], b: number[] = [];
    run(noop); run(counting);                                        // JIT warm-up
    for (let r = 0; r < 21; r++) { a.push(run(noop)); b.push(run(counting)); }
    const med = (x: number[]) => x.sort((p, q) => p - q)[x.length >> 1];
    console.log(`${name}: no-op ${med(a).toFixed(0)} ns, counting ${med(b).toFixed(0)} ns per chunk, ` +
      `ratio ${(med(b) / med(a)).toFixed(2)}x (${chunks.length} chunks, median of 21 alternating runs)`);
  }
  noop.complete();
  counting.complete();
}

await perWebsocket("state only (collection at every callback exit):",
  await buildFixture("bench/fixtures/conn-accounting/collect-every-exit.ts", "conn-accounting"));
await perWebsocket("default collection schedule:");
await lifecycles(Number(process.argv[2] ?? 100_000));
await chunkCost();
