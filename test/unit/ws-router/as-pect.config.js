// as-pect 8 configuration: AssemblyScript unit specs under test/unit/.
// Specs that touch sdk/ code importing proxy_* host functions get no-op stubs here; host
// behaviour itself is tested in test/host against envoy-test/host.
export default {
  entries: ["test/unit/ws-router/*.spec.ts"],
  include: ["test/unit/**/*.include.ts"],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    const env = { memory };
    return instantiate(binary, createImports({ env }));
  },
  outputBinary: false,
};
