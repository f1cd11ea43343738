// as-pect 8 configuration for the SDK specs alone:
//   npx asp --config test/unit/sdk/as-pect.config.js
// (npm run test:unit runs them with everything else through the root config.)
// The specs exercise pure SDK code (serialisation, JSON), which imports no host function.
export default {
  entries: ["test/unit/sdk/*.spec.ts"],
  include: ["test/unit/**/*.include.ts"],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    const env = { memory };
    return instantiate(binary, createImports({ env }));
  },
  outputBinary: false,
};
