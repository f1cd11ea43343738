// The default topology as real Envoy runs it in a container: the same filters and routes as
// build/envoy.yaml, with the listener and admin bound on 0.0.0.0 (published ports reach the
// container's interface, not its loopback) and the modules under /etc/envoy/wasm.
// The "admin" cluster (the drain filter's admin poll) keeps dialling 127.0.0.1: Envoy's admin
// listens on every interface, loopback included.
import { defaultTopology, type DefaultTopologyOptions, type Json } from "../config/index.ts";
import { CONTAINER_WASM_DIR } from "./envoy-container.ts";

export const CONTAINER_PORTS = { public: 8080, operator: 8081, admin: 9901 } as const;

export function containerTopology(o: DefaultTopologyOptions = {}): Json {
  const bootstrap = defaultTopology({
    wasmDir: CONTAINER_WASM_DIR,
    listen: { host: "0.0.0.0", port: CONTAINER_PORTS.public },
    admin: { host: "0.0.0.0", port: CONTAINER_PORTS.admin },
    ...o,
  }).build();
  const admin = (bootstrap.static_resources?.clusters ?? []).find((c: Json) => c.name === "admin");
  for (const group of admin?.load_assignment?.endpoints ?? []) {
    for (const lb of group.lb_endpoints ?? []) {
      const sa = lb.endpoint?.address?.socket_address;
      if (sa && sa.address === "0.0.0.0") sa.address = "127.0.0.1";
    }
  }
  return bootstrap;
}
