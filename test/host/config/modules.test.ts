// The validator asks the built modules themselves: a root id the module does not register, or a
// configuration its proxy_on_configure refuses, is an error at that field, with the filter's
// own message (Envoy would not start: wasm.proto PluginConfig.fail_open).
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";
import { defaultTopology, EnvoyConfig, formatError, validateConfig } from "../../../envoy-test/config/index.ts";

const repo = resolve(import.meta.dirname, "../../..");
const router = join(repo, "build/ws-router.wasm");
const modules = ["ws-router", "conn-accounting", "drain-signal"].map((m) => join(repo, `build/${m}.wasm`));

/** Why the module checks cannot run here, or null when they can. */
async function unavailable(): Promise<string | null> {
  if (!modules.every(existsSync)) return "build/*.wasm not all built (npm run build)";
  try {
    const { Host } = await import("../../../envoy-test/host/index.ts");
    const plugin = await new Host().loadPlugin({ wasm: new Uint8Array(readFileSync(router)), rootId: "ws_router",
      configuration: JSON.stringify({ services: [{ name: "messages", cluster: "messages" }], routes: [{ prefix: "/messages", service: "messages" }] }), workers: 1 });
    plugin.shutdown();
    return null;
  } catch (e) {
    return `envoy-test/host cannot run ws-router.wasm yet (${(e as Error).message})`;
  }
}
const skip = (await unavailable()) ?? false;

function routerConfig(rootId: string, configuration: unknown): EnvoyConfig {
  return new EnvoyConfig({ wasmDir: "build" })
    .httpListener({ name: "public", address: { host: "127.0.0.1", port: 8080 }, statPrefix: "public",
      httpFilters: [{ name: "ws-router", module: "ws-router.wasm", rootId, vmId: "wss", configuration }],
      routes: [{ prefix: "/", clusterHeader: "x-wss-cluster" }] })
    .cluster({ name: "messages", endpoints: [{ host: "127.0.0.1", port: 9101 }] });
}
const PLUGIN = "static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters[0].typed_config.config";

describe("validation by running the modules", { skip }, () => {
  it("accepts the default topology with the built modules, with no warnings", async () => {
    const r = await validateConfig(defaultTopology().build(), { baseDir: repo });
    assert.deepEqual(r.errors.map(formatError), []);
    assert.deepEqual(r.warnings.map(formatError), []);
  });

  it("reports a ws-router configuration the module refuses, at configuration, with its reason", async () => {
    const { errors } = await validateConfig(routerConfig("ws_router", { services: [], routes: [] }).build(), { baseDir: repo });
    assert.deepEqual(errors.map((e) => e.path), [`${PLUGIN}.configuration`], errors.map(formatError).join("\n"));
    assert.match(errors[0].message, /services/);
  });

  it("reports configuration that is not JSON", async () => {
    const { errors } = await validateConfig(routerConfig("ws_router", "{services: nope").build(), { baseDir: repo });
    assert.deepEqual(errors.map((e) => e.path), [`${PLUGIN}.configuration`], errors.map(formatError).join("\n"));
  });

  it("a misspelt root_id key is one error: the module is not run with the root id left empty", async () => {
    const ok = { services: [{ name: "messages", cluster: "messages" }], routes: [{ prefix: "/messages", service: "messages" }] };
    const cfg = routerConfig("ws_router", ok).build() as any;
    const plugin = cfg.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters[0].typed_config.config;
    plugin.rootid = plugin.root_id;
    delete plugin.root_id;
    const { errors } = await validateConfig(cfg, { baseDir: repo });
    assert.deepEqual(errors.map((e) => e.path), [`${PLUGIN}.rootid`], errors.map(formatError).join("\n"));
    assert.match(errors[0].message, /did you mean "root_id"/);
  });

  it("reports a root id the module does not register, at root_id", async () => {
    const ok = { services: [{ name: "messages", cluster: "messages" }], routes: [{ prefix: "/messages", service: "messages" }] };
    const { errors } = await validateConfig(routerConfig("ws_routr", ok).build(), { baseDir: repo });
    assert.deepEqual(errors.map((e) => e.path), [`${PLUGIN}.root_id`], errors.map(formatError).join("\n"));
  });
});
