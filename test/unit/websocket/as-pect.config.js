// as-pect 8 configuration for the websocket frame specs alone:
//   npx asp --config test/unit/websocket/as-pect.config.js
// (npm run test:unit runs them with everything else through the root config.)
export default {
  entries: ["test/unit/websocket/*.spec.ts"],
  include: ["test/unit/**/*.include.ts"],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    const env = { memory };
    return instantiate(binary, createImports({ env }));
  },
  outputBinary: false,
};
