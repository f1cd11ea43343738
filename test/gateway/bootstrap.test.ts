import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { validateYaml } from "../../envoy-test/config/index.ts";
import { loadBootstrapFile, parseBootstrap, startGateway } from "../../envoy-test/gateway/index.ts";

const fixture = (name: string): string => new URL(`../fixtures/gateway/${name}`, import.meta.url).pathname;
const yaml = (name: string): Record<string, unknown> => parse(readFileSync(fixture(name), "utf8")) as Record<string, unknown>;

test("a bootstrap inside the subset parses with Envoy's defaults filled in", () => {
  const b = loadBootstrapFile(fixture("minimal.yaml"));
  assert.deepEqual(b.admin, { address: "127.0.0.1", port: 9901 });
  assert.equal(b.statsTags[0].name, "service");
  const l = b.listeners[0];
  assert.equal(l.name, "ingress");
  const f = l.filters[0];
  assert.equal(f.kind, "hcm");
  if (f.kind !== "hcm") return;
  assert.equal(f.hcm.websocket, true);
  assert.equal(f.hcm.streamIdleTimeoutMs, 300_000);
  assert.equal(f.hcm.maxRequestHeadersKb, 60, "max_request_headers_kb defaults to 60");
  assert.deepEqual(f.hcm.routeTable.requestHeadersToRemove, ["x-wss-cluster"]);
  const [byHeader, byPath] = f.hcm.routeTable.virtualHosts[0].routes;
  assert.equal(byHeader.route?.clusterHeader, "x-wss-cluster");
  assert.equal(byHeader.route?.idleTimeoutMs, 600_000);
  assert.equal(byHeader.route?.clusterNotFoundCode, 503, "cluster_not_found_response_code defaults to 503");
  assert.equal(byPath.route?.timeoutMs, 15_000, "route timeout defaults to 15 s");
  const [messages, presence] = b.clusters;
  assert.equal(messages.connectTimeoutMs, 250);
  assert.equal(messages.panicThresholdPct, 25);
  assert.deepEqual(messages.endpoints, [{ address: "127.0.0.1", port: 9101 }, { address: "127.0.0.1", port: 9102 }]);
  assert.deepEqual(messages.healthChecks[0], {
    timeoutMs: 1000, intervalMs: 2000, noTrafficIntervalMs: 60_000, unhealthyThreshold: 2, healthyThreshold: 1,
    path: "/healthz", host: undefined, expectedStatuses: [[200, 201]],
  });
  assert.deepEqual(presence.eds, { path: "/tmp/presence-eds.yaml", serviceName: "presence" });
});

test("camelCase field names are accepted like their snake_case proto names", () => {
  const b = loadBootstrapFile(fixture("camel-case.yaml"));
  const f = b.listeners[0].filters[0];
  assert.equal(f.kind, "hcm");
  if (f.kind !== "hcm") return;
  assert.equal(f.hcm.streamIdleTimeoutMs, 30_000);
  assert.equal(f.hcm.routeTable.virtualHosts[0].routes[0].route?.clusterHeader, "x-wss-cluster");
  assert.equal(b.clusters[0].connectTimeoutMs, 2000);
  assert.equal(b.clusters[0].panicThresholdPct, 0);
  assert.equal(b.clusters[0].type, "STATIC", "type defaults to STATIC");
});

test("a listener field outside the subset is refused with its YAML path", () => {
  assert.throws(() => loadBootstrapFile(fixture("unsupported-listener-field.yaml")), {
    message: "bootstrap.static_resources.listeners[0].freebind: not supported by the local gateway; it runs in Envoy",
  });
});

test("an http filter the gateway does not run is refused with its path", () => {
  assert.throws(() => loadBootstrapFile(fixture("unsupported-http-filter.yaml")), (e: Error) => {
    assert.match(e.message, /^bootstrap\.static_resources\.listeners\[0\]\.filter_chains\[0\]\.filters\[0\]\.typed_config\.http_filters\[0\]\.name: http filter "envoy\.filters\.http\.cors" is not supported by the local gateway; it runs in Envoy$/);
    return true;
  });
});

test("an unsupported enum value names the field and the values the gateway supports", () => {
  const doc = yaml("minimal.yaml");
  const clusters = (doc.static_resources as { clusters: Record<string, unknown>[] }).clusters;
  clusters[0].lb_policy = "LEAST_REQUEST";
  assert.throws(() => parseBootstrap(doc), {
    message: 'bootstrap.static_resources.clusters[0].lb_policy: "LEAST_REQUEST" is not supported by the local gateway; it runs in Envoy (supported here: ROUND_ROBIN)',
  });
});

test("a field nested deep in a route is refused with the camelCase spelling it was written in", () => {
  const doc = yaml("camel-case.yaml");
  const sr = doc.staticResources as { listeners: { filterChains: { filters: { typedConfig: { routeConfig: { virtualHosts: { routes: Record<string, unknown>[] }[] } } }[] }[] }[] };
  const route = sr.listeners[0].filterChains[0].filters[0].typedConfig.routeConfig.virtualHosts[0].routes[0];
  (route.route as Record<string, unknown>).retryPolicy = { numRetries: 3 };
  assert.throws(() => parseBootstrap(doc), {
    message: "bootstrap.staticResources.listeners[0].filterChains[0].filters[0].typedConfig.routeConfig.virtualHosts[0].routes[0].route.retryPolicy: not supported by the local gateway; it runs in Envoy",
  });
});

test("malformed values name what was expected and where", () => {
  const doc = yaml("minimal.yaml");
  const clusters = (doc.static_resources as { clusters: Record<string, unknown>[] }).clusters;
  clusters[0].connect_timeout = "250ms";
  assert.throws(() => parseBootstrap(doc), {
    message: 'bootstrap.static_resources.clusters[0].connect_timeout: expected a duration like "5s" or "0.250s", got "250ms"',
  });
});

test("a duration with more than nine fractional digits is refused, as protobuf JSON refuses it", () => {
  const doc = yaml("minimal.yaml");
  const clusters = (doc.static_resources as { clusters: Record<string, unknown>[] }).clusters;
  clusters[0].connect_timeout = "0.2500000001s";
  assert.throws(() => parseBootstrap(doc), {
    message: 'bootstrap.static_resources.clusters[0].connect_timeout: expected a duration like "5s" or "0.250s", got "0.2500000001s"',
  });
  clusters[0].connect_timeout = "0.25s";
  assert.equal(parseBootstrap(doc).clusters[0].connectTimeoutMs, 250);
});

test("an HTTP filter chain that does not end with the router is refused", () => {
  const doc = yaml("minimal.yaml");
  const hcmConfig = (doc.static_resources as { listeners: { filter_chains: { filters: { typed_config: Record<string, unknown> }[] }[] }[] })
    .listeners[0].filter_chains[0].filters[0].typed_config;
  hcmConfig.http_filters = [];
  assert.throws(() => parseBootstrap(doc), /http_filters: the last http filter must be envoy\.filters\.http\.router/);
});

test("startGateway refuses an unsupported config before opening any socket", async () => {
  await assert.rejects(startGateway({ configPath: fixture("unsupported-listener-field.yaml") }), /freebind: not supported by the local gateway; it runs in Envoy/);
});

test("a configuration of a type other than StringValue is refused with its path", () => {
  const doc = {
    static_resources: {
      listeners: [{
        name: "l", address: { socket_address: { address: "127.0.0.1", port_value: 0 } },
        filter_chains: [{ filters: [{
          name: "envoy.filters.network.wasm",
          typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.network.wasm.v3.Wasm", config: {
            root_id: "r", vm_config: { runtime: "envoy.wasm.runtime.v8", code: { local: { filename: "x.wasm" } } },
            configuration: { "@type": "type.googleapis.com/google.protobuf.Struct", value: {} },
          } },
        }, {
          name: "envoy.filters.network.tcp_proxy",
          typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy", stat_prefix: "t", cluster: "c" },
        }] }],
      }],
      clusters: [{ name: "c", load_assignment: { cluster_name: "c", endpoints: [] } }],
    },
  };
  assert.throws(() => parseBootstrap(doc), {
    message: 'bootstrap.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.config.configuration.@type: configuration type "type.googleapis.com/google.protobuf.Struct" is not supported by the local gateway; it runs in Envoy (use type.googleapis.com/google.protobuf.StringValue)',
  });
});

test("a listener's tcp_backlog_size is its listen queue; without it the gateway uses Envoy's default (somaxconn on Linux)", () => {
  const doc = yaml("minimal.yaml");
  const listeners = (doc.static_resources as { listeners: Record<string, unknown>[] }).listeners;
  assert.equal(parseBootstrap(doc).listeners[0].backlog, undefined);
  listeners[0].tcp_backlog_size = 2048;
  assert.equal(parseBootstrap(doc).listeners[0].backlog, 2048);
  listeners[0].tcp_backlog_size = { value: 64 };
  assert.equal(parseBootstrap(doc).listeners[0].backlog, 64);
  listeners[0].tcp_backlog_size = 0;
  assert.throws(() => parseBootstrap(doc), {
    message: "bootstrap.static_resources.listeners[0].tcp_backlog_size: expected an integer from 1 to 4294967295 (listen queue length), got 0",
  });
});

test("the gateway reads a YAML file as the validator does: yaml-cpp booleans such as `yes` and `off`", async () => {
  // Envoy's loadFromYaml tries yaml-cpp's bool conversion first, so `present_match: yes` is true
  // and `invert_match: off` false; a plain YAML 1.2 reader would see the strings "yes" and "off".
  const text = readFileSync(fixture("minimal.yaml"), "utf8").replace("present_match: true", "present_match: yes\n                                invert_match: off");
  const dir = mkdtempSync(join(tmpdir(), "yaml-bool-"));
  const path = join(dir, "envoy.yaml");
  writeFileSync(path, text);
  const matcherPath = "static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes[0].match.headers[0]";
  const v = await validateYaml(text, { runModules: false });
  assert.deepEqual(v.errors.filter((e) => e.path.startsWith(matcherPath)), [], "the validator accepts both booleans");
  const f = loadBootstrapFile(path).listeners[0].filters[0];
  assert.equal(f.kind, "hcm");
  if (f.kind !== "hcm") return;
  const header = f.hcm.routeTable.virtualHosts[0].routes[0].match.headers[0];
  assert.equal(header.present, true);
  assert.equal(header.invert, false);
});
