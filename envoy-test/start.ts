// npm start: build the filters, start the demo backends, write the default topology for them to
// build/envoy.yaml and start the local gateway on that file; print what runs where and how to
// connect. Ctrl-C (or SIGTERM) stops everything and exits 0.
//   npm start -- [--listen HOST:PORT] [--operator HOST:PORT] [--admin HOST:PORT (not 0)] [--backend-base PORT]
//                [--log-level LEVEL]
// (defaults 127.0.0.1:8080, :8081, :9901; backends 9101/9102, 9111/9112, 9121/9122, or
// BASE+0..5 in that order; a port 0 takes a free port).
import { buildFilters } from "./build.ts";
import { startBackends, type Backends } from "./backends/index.ts";
import { parseArgs } from "./cli.ts";
import { DEFAULT_PORTS, SERVICES, defaultTopology, formatError, parseAddress, writeConfig, type Address } from "./config/index.ts";
import { envoyLog, parseLogLevel, startGateway, type Gateway } from "./gateway/index.ts";

const CONFIG = "build/envoy.yaml";

function options(argv: string[]): { listen?: Address; operator?: Address; admin?: Address; backendBase?: number; logLevel: number } {
  const { flags, rest } = parseArgs(argv, ["listen", "operator", "admin", "backend-base", "log-level"]);
  if (rest.length) throw new Error(`unexpected argument ${rest[0]} (options: --listen, --operator, --admin HOST:PORT, --backend-base PORT)`);
  const o: ReturnType<typeof options> = { logLevel: parseLogLevel("info") };
  for (const [name, v] of flags) {
    if (name === "log-level") o.logLevel = parseLogLevel(v);
    else if (name === "backend-base") {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 65530) throw new Error(`--backend-base: "${v}" is not a port (0-65530)`);
      o.backendBase = n;
    } else o[name as "listen" | "operator" | "admin"] = parseAddress(v, `--${name}`);
  }
  // The config's "admin" cluster dials the admin port (drain-signal polls it): it must be known.
  if (o.admin?.port === 0) throw new Error("--admin needs a fixed port: drain-signal reaches the admin through a cluster on that port");
  return o;
}

async function main(): Promise<void> {
  const o = options(process.argv.slice(2));
  await buildFilters();

  let backends: Backends | null = null;
  let gateway: Gateway | null = null;
  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => (stopping ??= (async () => {
    await gateway?.close();
    await backends?.close();
  })());
  // Handlers before anything listens: a Ctrl-C during start-up still closes what started.
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.once(sig, () => { stop().then(() => { console.log("stopped"); process.exit(0); }, (e: Error) => { console.error(e.message); process.exit(1); }); });
  }

  backends = o.backendBase === undefined ? await startBackends({ basePort: 0, ports: DEFAULT_PORTS }) : await startBackends({ basePort: o.backendBase });
  const backendPorts = Object.fromEntries(SERVICES.map((s) => [s, backends!.endpoints(s).map((e) => e.port)]));
  const result = await writeConfig(CONFIG, defaultTopology({ wasmDir: "build", listen: o.listen, operator: o.operator, admin: o.admin, backendPorts }));
  for (const w of result.warnings) console.error(`warning: ${formatError(w)}`);
  console.log(`config: ${CONFIG}`);
  const { log, onWasmLog } = envoyLog(o.logLevel, (line) => console.error(line));
  gateway = await startGateway({ configPath: CONFIG, logLevel: o.logLevel, log, onWasmLog });

  const lines: string[] = [];
  for (const [service, list] of Object.entries(backends.instances)) {
    lines.push(`  backend ${service.padEnd(9)} ${list.map((s) => s.instance).join(", ")}`);
  }
  for (const l of gateway.config.listeners) {
    const a = gateway.listenerAddress(l.name);
    lines.push(`  listener ${l.name.padEnd(8)} ${a.address}:${a.port}`);
  }
  const admin = gateway.adminAddress();
  lines.push(`  admin             ${admin.address}:${admin.port}   (curl http://${admin.address}:${admin.port}/stats?filter=wss)`);
  const pub = gateway.listenerAddress(gateway.config.listeners[0].name);
  console.log(`running (local gateway: an Envoy test double on ${CONFIG}):\n${lines.join("\n")}`);
  console.log(`connect:
  npx wscat -c ws://${pub.address}:${pub.port}/messages
  node -e "const W=require('ws');const w=new W('ws://${pub.address}:${pub.port}/messages');w.on('message',m=>console.log(String(m)));w.on('open',()=>w.send('hi'))"
Ctrl-C stops everything.`);
}

main().catch((e: Error) => {
  console.error(`npm start: ${e.message}`);
  process.exit(1);
});
