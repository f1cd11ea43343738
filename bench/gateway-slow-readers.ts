// Gateway memory with slow readers: CLIENTS clients each ask for a MIB-MiB response and read
// nothing; the backend writes as fast as the gateway takes it. With Envoy's watermarks
// (per_connection_buffer_limit_bytes, default 1 MiB) the gateway holds about one limit per
// connection and stops reading the backend; without them it holds everything the backend sent.
// Prints the gateway's RSS before and after, and how much the backend got out.
// Usage: npx tsx bench/gateway-slow-readers.ts [clients=100] [mib=32] [seconds=5]
import net from "node:net";
import { rssKb, startRouterOnlyGateway } from "./procs.ts";

const CLIENTS = Number(process.argv[2] ?? 100);
const MIB = Number(process.argv[3] ?? 32);
const SECONDS = Number(process.argv[4] ?? 5);

async function main(): Promise<void> {
  let flushed = 0;
  const chunk = Buffer.alloc(64 * 1024, 0x62);
  const total = MIB * 1024 * 1024;
  const backend = net.createServer((s) => {
    s.on("error", () => {});
    s.once("data", () => {
      s.write(`HTTP/1.1 200 OK\r\ncontent-length: ${total}\r\n\r\n`);
      let sent = 0;
      const pump = (): void => {
        while (sent < total) {
          sent += chunk.length;
          if (!s.write(chunk, () => { flushed += chunk.length; })) { s.once("drain", pump); return; }
        }
      };
      pump();
    });
  });
  await new Promise<void>((r) => backend.listen(0, "127.0.0.1", () => r()));
  const bport = (backend.address() as net.AddressInfo).port;
  const g = await startRouterOnlyGateway({ backendPort: bport, cluster: "big", routeTimeout: "0s" });
  const pub = g.port;
  const pid = g.proc.pid!;
  const before = rssKb(pid);
  const clients: net.Socket[] = [];
  for (let i = 0; i < CLIENTS; i++) {
    const c = net.connect(pub, "127.0.0.1");
    c.on("error", () => {});
    c.pause();
    c.write("GET /big HTTP/1.1\r\nhost: gw\r\n\r\n");
    clients.push(c);
  }
  let peak = before;
  for (let t = 0; t < SECONDS * 10; t++) {
    await new Promise((r) => setTimeout(r, 100));
    peak = Math.max(peak, rssKb(pid));
  }
  console.log(`${CLIENTS} slow readers, ${MIB} MiB each: gateway RSS ${(before / 1024).toFixed(0)} MiB before, peak ${(peak / 1024).toFixed(0)} MiB after ${SECONDS} s; the backend got ${(flushed / 1048576).toFixed(0)} MiB out of ${(CLIENTS * MIB)} MiB`);
  for (const c of clients) c.destroy();
  g.close();
  backend.close();
}

await main();
