// Writes build/envoy.container.yaml: the container variant of the default topology, validated
// against Envoy's API and the filters (modules checked in build/), for docker-compose.yml.
// Usage: npx tsx envoy-test/container/write-config.ts [OUT]
import { join, resolve } from "node:path";
import { formatError, writeConfig } from "../config/index.ts";
import { CONTAINER_WASM_DIR } from "./envoy-container.ts";
import { containerTopology } from "./topology.ts";

const out = process.argv[2] ?? "build/envoy.container.yaml";
const prefix = `${CONTAINER_WASM_DIR}/`;
const result = await writeConfig(out, containerTopology(), {
  localWasmPath: (f: string) => (f.startsWith(prefix) ? join(resolve("build"), f.slice(prefix.length)) : f),
});
for (const w of result.warnings) console.error(`warning: ${formatError(w)}`);
console.error(`wrote ${out}`);
