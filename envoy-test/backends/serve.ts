// Runs the demo backends on the default topology's ports until SIGINT/SIGTERM
// (used by envoy-test/container/docker-compose.yml; npm start starts them itself).
// BACKENDS_HOST picks the interface (default 127.0.0.1).
import { DEFAULT_PORTS } from "../config/index.ts";
import { startBackends } from "./index.ts";

const backends = await startBackends({ basePort: 0, ports: DEFAULT_PORTS, host: process.env.BACKENDS_HOST ?? "127.0.0.1" });
for (const [service, list] of Object.entries(backends.instances)) console.log(`backend ${service}: ${list.map((s) => s.instance).join(", ")}`);
const stop = (): void => { backends.close().finally(() => process.exit(0)); };
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
