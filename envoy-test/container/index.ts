// Real-Envoy harness: EnvoyContainer / StartedEnvoyContainer (testcontainers), the pinned image,
// and the container variant of the default topology.
export { EnvoyContainer, StartedEnvoyContainer, CONTAINER_CONFIG, CONTAINER_WASM_DIR } from "./envoy-container.ts";
export type { EnvoyContainerOptions, HotRestartOptions } from "./envoy-container.ts";
export { ENVOY_IMAGE } from "./image.ts";
export { containerTopology, CONTAINER_PORTS } from "./topology.ts";
