// Start-up rules Envoy applies that the protos do not express (envoy-test/config/startup-rules.ts):
// a terminal filter last in every filter chain, and the last filter terminal; HTTP filter names
// that a per-route override cannot tell apart.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatError, validateConfig } from "../../../envoy-test/config/index.ts";

const T = (name: string) => ({ "@type": `type.googleapis.com/${name}` });
const router = { name: "envoy.filters.http.router", typed_config: T("envoy.extensions.filters.http.router.v3.Router") };
const cors = (name = "envoy.filters.http.cors") => ({ name, typed_config: T("envoy.extensions.filters.http.cors.v3.Cors") });
const tcpProxy = { name: "envoy.filters.network.tcp_proxy", typed_config: { ...T("envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy"), stat_prefix: "tcp", cluster: "messages" } };

function hcm(httpFilters: unknown[], extra: Record<string, unknown> = {}, route: Record<string, unknown> = {}) {
  return {
    name: "envoy.filters.network.http_connection_manager",
    typed_config: {
      ...T("envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"),
      stat_prefix: "public",
      route_config: { virtual_hosts: [{ name: "all", domains: ["*"], routes: [{ match: { prefix: "/" }, route: { cluster: "messages" }, ...route }] }] },
      http_filters: httpFilters,
      ...extra,
    },
  };
}

function bootstrap(networkFilters: unknown[]) {
  return {
    static_resources: {
      listeners: [{ name: "public", address: { socket_address: { address: "127.0.0.1", port_value: 8080 } }, filter_chains: [{ filters: networkFilters }] }],
      clusters: [{ name: "messages", connect_timeout: "1s", load_assignment: { cluster_name: "messages", endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: "127.0.0.1", port_value: 9101 } } } }] }] } }],
    },
  };
}

const HTTP = "static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters";
const errorsOf = async (config: unknown) => (await validateConfig(config, { runModules: false })).errors.map(formatError);

describe("filter chain start-up rules", () => {
  it("accepts a chain that ends with the router", async () => {
    assert.deepEqual(await errorsOf(bootstrap([hcm([cors(), router])])), []);
  });

  it("refuses the router before another HTTP filter, with Envoy's message, once", async () => {
    assert.deepEqual(await errorsOf(bootstrap([hcm([router, cors()])])), [
      `${HTTP}[0]: terminal filter named envoy.filters.http.router of type envoy.filters.http.router must be the last filter in a http filter chain`,
    ]);
  });

  it("refuses an HTTP chain that does not end with a terminal filter", async () => {
    assert.deepEqual(await errorsOf(bootstrap([hcm([cors("my-cors")])])), [
      `${HTTP}[0]: non-terminal filter named my-cors of type envoy.filters.http.cors is the last filter in a http filter chain (end it with envoy.filters.http.router)`,
    ]);
  });

  it("applies the same rule to an upgrade's own filter chain", async () => {
    const errors = await errorsOf(bootstrap([hcm([router], { upgrade_configs: [{ upgrade_type: "websocket", filters: [router, cors()] }] })]));
    assert.deepEqual(errors, [
      "static_resources.listeners[0].filter_chains[0].filters[0].typed_config.upgrade_configs[0].filters[0]: terminal filter named envoy.filters.http.router of type envoy.filters.http.router must be the last filter in a http upgrade filter chain",
    ]);
  });

  it("refuses a terminal network filter before another one", async () => {
    assert.deepEqual(await errorsOf(bootstrap([tcpProxy, hcm([router])])), [
      "static_resources.listeners[0].filter_chains[0].filters[0]: terminal filter named envoy.filters.network.tcp_proxy of type envoy.filters.network.tcp_proxy must be the last filter in a network filter chain",
    ]);
  });

  it("does not judge a filter whose type it cannot resolve (the schema reports the type)", async () => {
    const errors = await errorsOf(bootstrap([hcm([{ name: "x", typed_config: T("envoy.extensions.filters.http.router.v3.Routr") }])]));
    assert.equal(errors.length, 1);
    assert.match(errors[0], /unknown type/);
  });
});

describe("HTTP filter names", () => {
  it("accepts two filters of one name (Envoy does), with no warning when no route overrides that name", async () => {
    const r = await validateConfig(bootstrap([hcm([cors("c"), cors("c"), router])]), { runModules: false });
    assert.deepEqual([...r.errors, ...r.warnings].map(formatError), []);
  });

  it("warns when a route's typed_per_filter_config names a repeated filter name", async () => {
    const r = await validateConfig(bootstrap([hcm([cors("c"), cors("c"), router], {}, {
      typed_per_filter_config: { c: T("envoy.extensions.filters.http.cors.v3.CorsPolicy") },
    })]), { runModules: false });
    assert.deepEqual(r.errors.map(formatError), []);
    assert.equal(r.warnings.length, 1);
    assert.equal(r.warnings[0].path, `${HTTP}[1].name`);
    assert.match(r.warnings[0].message, /routes\[0\]\.typed_per_filter_config\.c overrides "c" per route/);
  });
});
