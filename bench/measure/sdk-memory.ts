// Measures linear memory of one long-lived worker VM over 1,000,000 HTTP streams (add-header:
// request headers, response headers, complete). Not a test: run it by hand.
//   node --import tsx bench/measure/sdk-memory.ts [streams]
import { join } from "node:path";
import { buildFilters } from "../../envoy-test/build.ts";
import { Host, ManualClock, type HeaderList } from "../../envoy-test/host/index.ts";
import { ROOT } from "../support/compile.ts";

const total = Number(process.argv[2] ?? 1_000_000);
await buildFilters(["add-header"]);
const host = new Host({ clock: new ManualClock(), recordLogs: false });
const p = await host.loadPlugin({
  wasm: join(ROOT, "build/add-header.wasm"), rootId: "add_header", workers: 1,
  configuration: JSON.stringify({ name: "x-powered-by", value: "proxy-wasm-as" }),
});
const req: HeaderList = [[":method", "GET"], [":path", "/"], [":authority", "svc"], [":scheme", "http"]];
const res: HeaderList = [[":status", "200"], ["content-length", "0"]];
const bytes = () => p.workers[0].memoryBytes().byteLength;
console.log(`streams 0: ${bytes()} B`);
let next = 1000;
for (let i = 1; i <= total; i++) {
  const s = p.createHttpStream({ worker: 0 });
  s.callOnRequestHeaders(req);
  s.callOnResponseHeaders(res);
  s.complete();
  if (i === next || i === total) {
    console.log(`streams ${i}: ${bytes()} B`);
    next *= 10;
  }
}
