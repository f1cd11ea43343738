// as-pect 8 configuration: AssemblyScript unit specs under test/unit/.
// The specs test pure code (no proxy_* host imports); host behaviour is tested in test/host
// against envoy-test/host. SPEC narrows the run to one area or file, e.g.
//   SPEC=test/unit/websocket npm run test:unit
//   SPEC=test/unit/ws-router/shard.spec.ts npm run test:unit
const only = process.env.SPEC;
const entries = !only ? ["test/unit/**/*.spec.ts"] : only.endsWith(".ts") ? [only] : [`${only.replace(/\/$/, "")}/**/*.spec.ts`];

export default {
  entries,
  include: ["test/unit/**/*.include.ts"],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    const env = { memory };
    return instantiate(binary, createImports({ env }));
  },
  outputBinary: false,
};
