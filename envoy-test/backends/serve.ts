// Runs the demo backends until SIGINT/SIGTERM: on the default topology's ports (used by
// envoy-test/container/docker-compose.yml; npm start starts them itself), or from
// BACKENDS_PORT_BASE (consecutive ports; 0 = ephemeral). BACKENDS_HOST picks the interface
// (default 127.0.0.1). Prints one JSON line {"service": [{address, port}, ...]} once listening.
import { DEFAULT_PORTS } from "../config/index.ts";
import { startBackends, SERVICES } from "./index.ts";

const base = process.env.BACKENDS_PORT_BASE;
const backends = await startBackends({
  basePort: base === undefined ? 0 : Number(base),
  ports: base === undefined ? DEFAULT_PORTS : undefined,
  host: process.env.BACKENDS_HOST ?? "127.0.0.1",
});
console.log(JSON.stringify(Object.fromEntries(SERVICES.map((s) => [s, backends.endpoints(s)]))));
const stop = (): void => { backends.close().finally(() => process.exit(0)); };
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
