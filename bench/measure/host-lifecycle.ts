// Measurement (not a test: prints numbers): the cost in this host of a full HTTP stream lifecycle
// (create, request headers, response headers, done, log, delete) and the hostcalls it makes.
//   node --import tsx bench/measure/host-lifecycle.ts [streams]
// Modules: build/add-header.wasm (npm run build) and bench/floor.wat (a module doing nothing, i.e.
// the host's own overhead). CPU time is reported next to wall time because the machine is shared.
import { existsSync, readFileSync } from "node:fs";
import { Host, type HeaderList } from "../../envoy-test/host/index.ts";
import { assemble } from "../support/wat.ts";

const N = Number(process.argv[2] ?? 200_000);
const REQ: HeaderList = [[":method", "GET"], [":path", "/"], [":authority", "example.com"], [":scheme", "http"]];
const RESP: HeaderList = [[":status", "200"], ["content-length", "0"]];

async function measure(label: string, wasm: Uint8Array, rootId: string, configuration: string): Promise<void> {
  const counting = new Host({ recordLogs: false, countHostcalls: true });
  const cp = await counting.loadPlugin({ wasm, rootId, configuration, workers: 1 });
  const run = (p: typeof cp) => { const s = p.createHttpStream({ worker: 0 }); s.callOnRequestHeaders(REQ, true); s.callOnResponseHeaders(RESP, true); s.complete(); };
  run(cp);
  counting.hostcalls!.clear();
  for (let i = 0; i < 1000; i++) run(cp);
  const calls = [...counting.hostcalls!].map(([k, v]) => `${k} ${v / 1000}`).join(", ") || "none";

  const host = new Host({ recordLogs: false });
  const p = await host.loadPlugin({ wasm, rootId, configuration, workers: 1 });
  for (let i = 0; i < 20_000; i++) run(p);
  const results: string[] = [];
  for (let round = 0; round < 3; round++) {
    const t0 = process.hrtime.bigint(), c0 = process.cpuUsage();
    for (let i = 0; i < N; i++) run(p);
    const c = process.cpuUsage(c0);
    results.push(`wall ${(Number(process.hrtime.bigint() - t0) / N / 1000).toFixed(2)} µs / cpu ${((c.user + c.system) / N).toFixed(2)} µs`);
  }
  console.log(`${label}: ${results.join("; ")} per stream; hostcalls per stream: ${calls}`);
}

if (existsSync("build/add-header.wasm")) {
  await measure("add-header", new Uint8Array(readFileSync("build/add-header.wasm")), "add_header",
    JSON.stringify({ name: "x-powered-by", value: "proxy-wasm-as" }));
} else console.log("add-header: skipped (build/add-header.wasm missing: npm run build)");
if (existsSync("bench/floor.wat")) {
  await measure("floor.wat", await assemble(readFileSync("bench/floor.wat", "utf8"), "floor.wat"), "floor", "");
}
