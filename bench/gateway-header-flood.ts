// A bystander websocket under a header flood: one upgraded connection echoes a small message
// every 20 ms through the gateway while FLOODERS connections each send one request with 10,000
// headers (just under max_request_headers_kb 60). Envoy refuses such a request with 431 after
// max_headers_count (100) headers; the figure is the bystander's worst echo time meanwhile.
// Usage: npx tsx bench/gateway-header-flood.ts [flooders=20] [rounds=5]
import net from "node:net";
import { startRouterOnlyGateway } from "./procs.ts";

const FLOODERS = Number(process.argv[2] ?? 20);
const ROUNDS = Number(process.argv[3] ?? 5);

async function main(): Promise<void> {
  const backend = net.createServer((s) => {
    s.on("error", () => {});
    let upgraded = false;
    s.on("data", (d) => {
      if (upgraded) { s.write(d); return; }
      if (d.includes("\r\n\r\n")) {
        if (/upgrade: websocket/i.test(d.toString("latin1"))) {
          upgraded = true;
          s.write("HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n\r\n");
        } else s.end("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
      }
    });
  });
  await new Promise<void>((r) => backend.listen(0, "127.0.0.1", () => r()));
  const bport = (backend.address() as net.AddressInfo).port;
  const g = await startRouterOnlyGateway({ backendPort: bport, cluster: "b", websocket: true });
  const pub = g.port;
  const by = net.connect(pub, "127.0.0.1");
  await new Promise<void>((r) => { by.once("data", () => r()); by.write("GET /ws HTTP/1.1\r\nhost: gw\r\nupgrade: websocket\r\nconnection: Upgrade\r\n\r\n"); });
  let sentAt = 0;
  let worst = 0;
  by.on("data", () => { worst = Math.max(worst, Date.now() - sentAt); sentAt = 0; });
  const ping = setInterval(() => { if (sentAt === 0) { sentAt = Date.now(); by.write("ping"); } else worst = Math.max(worst, Date.now() - sentAt); }, 20);
  const flood = Buffer.from(`GET /flood HTTP/1.1\r\nhost: gw\r\n${"a: b\r\n".repeat(10_000)}\r\n`);
  const statuses = new Map<string, number>();
  for (let round = 0; round < ROUNDS; round++) {
    await Promise.all(Array.from({ length: FLOODERS }, () => new Promise<void>((resolve) => {
      const s = net.connect(pub, "127.0.0.1");
      s.on("error", () => resolve());
      s.once("data", (d) => { const st = d.toString("latin1").slice(9, 12); statuses.set(st, (statuses.get(st) ?? 0) + 1); s.destroy(); resolve(); });
      s.on("close", () => resolve());
      s.write(flood);
    })));
  }
  await new Promise((r) => setTimeout(r, 200));
  clearInterval(ping);
  console.log(`${ROUNDS} rounds of ${FLOODERS} requests with 10,000 headers: answers ${JSON.stringify(Object.fromEntries(statuses))}; bystander worst echo ${worst} ms`);
  by.destroy();
  g.close();
  backend.close();
}

await main();
