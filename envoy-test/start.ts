// npm start: build the filters, write the default topology to build/envoy.yaml, start the demo
// backends on the topology's ports and the local gateway on that file; print what runs where and
// how to connect. Ctrl-C (or SIGTERM) stops everything and exits 0.
import { buildFilters } from "./build.ts";
import { startBackends, type Backends } from "./backends/index.ts";
import { DEFAULT_PORTS, defaultTopology, formatError, writeConfig } from "./config/index.ts";
import { startGateway, type Gateway } from "./gateway/index.ts";

const CONFIG = "build/envoy.yaml";

async function main(): Promise<void> {
  await buildFilters();
  const result = await writeConfig(CONFIG, defaultTopology({ wasmDir: "build" }));
  for (const w of result.warnings) console.error(`warning: ${formatError(w)}`);
  console.log(`config: ${CONFIG}`);

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

  backends = await startBackends({ basePort: 0, ports: DEFAULT_PORTS });
  gateway = await startGateway({ configPath: CONFIG });

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
