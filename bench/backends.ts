// The demo backends (envoy-test/backends) on ephemeral ports, pinging every PING_MS (default the
// backends' own 15 s). drain-signal can only signal at a server frame, so the drain benchmark
// has the backends ping often enough for every socket to see a frame soon after its moment.
// Prints one JSON line {"service": [{address, port}, ...]} once listening; stops on SIGTERM.
import { startBackends, SERVICES } from "../envoy-test/backends/index.ts";

const ping = process.env.PING_MS ? Number(process.env.PING_MS) : undefined;
const backends = await startBackends({ basePort: 0, host: "127.0.0.1", pingIntervalMs: ping });
console.log(JSON.stringify(Object.fromEntries(SERVICES.map((s) => [s, backends.endpoints(s)]))));
const stop = (): void => { backends.close().finally(() => process.exit(0)); };
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
