// The default topology (docs/design.md) built with the config builder validates against Envoy's v3
// protos, and has the shape the filters and the gateway rely on.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import {
  defaultTopology, EnvoyConfig, formatError, toYaml, validateConfig, validateYaml, VM_ID,
} from "../../../envoy-test/config/index.ts";
import { ABORT_IMPORT_WAT, MINIMAL_WAT } from "./modules.ts";
import { assemble as wat } from "../../support/wat.ts";

const MODULES = ["ws-router.wasm", "conn-accounting.wasm", "drain-signal.wasm"];
let base = "";

before(async () => {
  // Stand-in modules that pass Envoy's load checks, so these tests do not depend on the filters
  // being built; the module-running checks are covered where the real modules exist.
  base = mkdtempSync(join(tmpdir(), "config-topology-"));
  mkdirSync(join(base, "build"));
  const bytes = await wat(MINIMAL_WAT);
  for (const m of MODULES) writeFileSync(join(base, "build", m), bytes);
  writeFileSync(join(base, "build", "abort-import.wasm"), await wat(ABORT_IMPORT_WAT));
});

const httpFilters = (b: any, listener: number) => b.static_resources.listeners[listener].filter_chains[0].filters.at(-1).typed_config.http_filters;

describe("default topology", () => {
  it("validates with no errors, including its YAML form", async () => {
    const cfg = defaultTopology();
    const r1 = await validateConfig(cfg.build(), { baseDir: base, runModules: false });
    assert.deepEqual(r1.errors.map(formatError), []);
    const r2 = await validateYaml(toYaml(cfg.build()), { baseDir: base, runModules: false });
    assert.deepEqual(r2.errors.map(formatError), []);
  });

  it("runs ws-router, conn-accounting, drain-signal, router in that order on the public listener", () => {
    const b = defaultTopology().build();
    const l = b.static_resources.listeners[0];
    assert.deepEqual(l.address, { socket_address: { address: "127.0.0.1", port_value: 8080 } });
    assert.deepEqual(httpFilters(b, 0).map((f: any) => f.typed_config.config?.root_id ?? f.name),
      ["ws_router", "conn_accounting", "drain_signal", "envoy.filters.http.router"]);
    const network = l.filter_chains[0].filters;
    assert.equal(network[0].typed_config["@type"], "type.googleapis.com/envoy.extensions.filters.network.wasm.v3.Wasm");
    assert.equal(network[0].typed_config.config.root_id, "conn_accounting_tcp");
    const hcm = network[1].typed_config;
    assert.deepEqual(hcm.upgrade_configs, [{ upgrade_type: "websocket" }]);
  });

  it("routes by the x-wss-cluster header, only to the service clusters, and strips the internal headers at the router", () => {
    const b = defaultTopology().build();
    const routes = b.static_resources.listeners[0].filter_chains[0].filters[1].typed_config.route_config.virtual_hosts[0].routes;
    assert.deepEqual(routes.map((r: any) => r.route?.cluster ?? r.direct_response.status), ["messages", "presence", "apps", 404]);
    assert.deepEqual(routes[0].match, { prefix: "/", headers: [{ name: "x-wss-cluster", string_match: { exact: "messages" } }] });
    assert.ok(routes.every((r: any) => r.route?.cluster_header === undefined), "no route lets a header name the cluster");
    assert.deepEqual(routes[0].request_headers_to_remove, ["x-wss-cluster", "x-wss-service"]);
  });

  it("routes a sharded service's every cluster and nothing else, by the ws-router's cluster_header", () => {
    const wsRouterConfig = { cluster_header: "X-Pick", services: [{ name: "messages", cluster: "messages", shard: { query: "team", clusters: ["m-a", "m-b"] } }],
      routes: [{ prefix: "/messages", service: "messages" }] };
    const routes = defaultTopology({ wsRouterConfig }).build().static_resources.listeners[0].filter_chains[0].filters[1].typed_config.route_config.virtual_hosts[0].routes;
    assert.deepEqual(routes.map((r: any) => [r.match.headers?.[0].name, r.route?.cluster ?? r.direct_response.status]),
      [["x-pick", "messages"], ["x-pick", "m-a"], ["x-pick", "m-b"], [undefined, 404]]);
  });

  it("gives the operator listener no route to admin: the drain prefix with the token, then 404", () => {
    const b = defaultTopology({ drain: { token: "0123456789abcdef-op" } }).build();
    const routes = b.static_resources.listeners[1].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes;
    assert.deepEqual(routes.map((r: any) => [r.match, r.direct_response?.status, r.route]), [
      [{ prefix: "/drain-signal", headers: [{ name: "x-drain-token", string_match: { exact: "0123456789abcdef-op" } }] }, 503, undefined],
      [{ prefix: "/" }, 404, undefined],
    ]);
  });

  it("refuses the public development drain token on an operator listener other hosts can reach", () => {
    assert.throws(() => defaultTopology({ operator: { host: "0.0.0.0", port: 8081 } }),
      /operator listener 0\.0\.0\.0:8081 is reachable beyond this host.*drain\.token/);
    assert.throws(() => defaultTopology({ operator: { host: "10.1.2.3", port: 8081 } }), /needs? a token of your own|token of your own/);
    // With a token of its own, or on loopback, it builds.
    defaultTopology({ operator: { host: "0.0.0.0", port: 8081 }, drain: { token: "0123456789abcdef-op" } }).build();
    defaultTopology({ operator: { host: "127.0.0.2", port: 8081 } }).build();
  });

  it("defines clusters messages, presence and apps with two endpoints each, and admin", () => {
    const b = defaultTopology({ backendPorts: { apps: [7001, 7002] } }).build();
    const ports = Object.fromEntries(b.static_resources.clusters.map((c: any) =>
      [c.name, c.load_assignment.endpoints[0].lb_endpoints.map((e: any) => e.endpoint.address.socket_address.port_value)]));
    assert.deepEqual(ports, { messages: [9101, 9102], presence: [9111, 9112], apps: [7001, 7002], admin: [9901] });
  });

  it("passes each filter its configuration as a JSON StringValue, with the drain control only on the operator listener", () => {
    const b = defaultTopology({ drain: { windowMs: 4000, token: "0123456789abcdef-op" } }).build();
    const conf = (f: any) => JSON.parse(f.typed_config.config.configuration.value);
    const publicDrain = conf(httpFilters(b, 0)[2]);
    const operatorDrain = conf(httpFilters(b, 1)[0]);
    assert.equal(httpFilters(b, 0)[2].typed_config.config.configuration["@type"], "type.googleapis.com/google.protobuf.StringValue");
    assert.equal(publicDrain.window_ms, 4000);
    assert.equal(publicDrain.control, undefined);
    assert.equal(operatorDrain.control.token, "0123456789abcdef-op");
    assert.equal(publicDrain.admin.cluster, "admin");
    assert.deepEqual(conf(httpFilters(b, 0)[0]).services.map((s: any) => s.cluster), ["messages", "presence", "apps"]);
    for (const f of [...httpFilters(b, 0).slice(0, 3), ...httpFilters(b, 1).slice(0, 1)]) assert.equal(f.typed_config.config.vm_config.vm_id, VM_ID);
  });

  it("dials an admin bound to every interface on loopback, without a warning", async () => {
    const b = defaultTopology({ admin: { host: "0.0.0.0", port: 9901 } }).build();
    const admin = b.static_resources.clusters.find((c: any) => c.name === "admin");
    assert.deepEqual(admin.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address, { address: "127.0.0.1", port_value: 9901 });
    const r = await validateConfig(b, { baseDir: base, runModules: false });
    assert.deepEqual([...r.errors, ...r.warnings], []);
  });

  it("points the modules at wasmDir, so the container variant differs only in the path", () => {
    const b = defaultTopology({ wasmDir: "/etc/envoy/wasm" }).build();
    assert.equal(httpFilters(b, 0)[0].typed_config.config.vm_config.code.local.filename, "/etc/envoy/wasm/ws-router.wasm");
  });

  it("tags the per-service wss stats with service, and leaves router and drain stats untagged", () => {
    const b = defaultTopology().build();
    const [tag] = b.stats_config.stats_tags;
    const re = new RegExp(tag.regex);
    const m = re.exec("wasmcustom.wss.messages.cx_active")!;
    assert.equal(tag.tag_name, "service");
    assert.equal(m[2], "messages");
    assert.equal("wasmcustom.wss.messages.cx_active".replace(m[1], ""), "wasmcustom.wss.cx_active");
    assert.equal(re.test("wasmcustom.wss.router.no_route"), false);
    assert.equal(re.test("wasmcustom.wss.drain.signalled"), false);
  });

  it("serves the service clusters from EDS files when edsDir is given", async () => {
    const cfg = defaultTopology({ edsDir: "build/eds" });
    const b = cfg.build();
    const messages = b.static_resources.clusters[0];
    assert.equal(messages.type, "EDS");
    assert.deepEqual(messages.eds_cluster_config.eds_config.path_config_source, { path: "build/eds/messages.yaml" });
    assert.deepEqual([...cfg.edsFiles.keys()], ["build/eds/messages.yaml", "build/eds/presence.yaml", "build/eds/apps.yaml"]);
    assert.deepEqual((await validateConfig(b, { baseDir: base, runModules: false })).errors, []);
  });
});

describe("default topology in the local gateway", () => {
  const bootstrap = join(import.meta.dirname, "../../../envoy-test/gateway/bootstrap.ts");
  it("is accepted by the gateway's bootstrap parser, plain and with EDS", { skip: existsSync(bootstrap) ? false : "envoy-test/gateway/bootstrap.ts not written yet" }, async () => {
    const { parseBootstrap } = await import(bootstrap);
    for (const o of [{}, { edsDir: "build/eds" }]) {
      const parsed = parseBootstrap(defaultTopology(o).build());
      assert.equal(parsed.listeners.length, 2);
      assert.equal(parsed.clusters.length, 4);
    }
  });
});

describe("default topology stats tags in the local gateway", () => {
  const format = join(import.meta.dirname, "../../../envoy-test/gateway/stats-format.ts");
  it("shows wss.messages.cx_active as wss_cx_active{service=\"messages\"} in Prometheus output", { skip: existsSync(format) ? false : "envoy-test/gateway/stats-format.ts not written yet" }, async () => {
    const { parseBootstrap } = await import(join(import.meta.dirname, "../../../envoy-test/gateway/bootstrap.ts"));
    const { renderPrometheus } = await import(format);
    const { Stats } = await import("../../../envoy-test/host/index.ts");
    const stats = new Stats();
    stats.gauge("wasmcustom.wss.messages.cx_active").set(3);
    stats.counter("wasmcustom.wss.router.no_route").inc(2);
    const text: string = renderPrometheus(stats, parseBootstrap(defaultTopology().build()).statsTags);
    assert.match(text, /^wss_cx_active\{service="messages"\} 3$/m);
    assert.match(text, /^wss_router_no_route 2$/m);
  });
});

describe("builder and validator beyond the schema", () => {
  it("refuses a module that imports a function Envoy does not register, naming the import", async () => {
    const cfg = new EnvoyConfig({ wasmDir: "build" });
    cfg.httpListener({ name: "l", address: { host: "127.0.0.1", port: 8080 }, statPrefix: "l",
      httpFilters: [{ name: "x", module: "abort-import.wasm", rootId: "x" }], routes: [{ prefix: "/", cluster: "c" }] });
    cfg.cluster({ name: "c", endpoints: [{ host: "127.0.0.1", port: 1 }] });
    const { errors } = await validateConfig(cfg.build(), { baseDir: base, runModules: false });
    assert.equal(errors.length, 1, errors.map(formatError).join("\n"));
    assert.equal(errors[0].path, "static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters[0].typed_config.config.vm_config.code.local.filename");
    assert.match(errors[0].message, /missing import: env\.abort/);
  });

  it("emits zone-aware routing, panic threshold and health checks that validate", async () => {
    const cfg = new EnvoyConfig({ wasmDir: "build", zone: "us-east-1a" });
    cfg.cluster({ name: "local", endpoints: [{ host: "127.0.0.1", port: 1 }], zone: "us-east-1a" });
    cfg.cluster({ name: "svc", endpoints: [{ host: "127.0.0.1", port: 2 }], zone: "us-east-1b", healthyPanicThreshold: 30,
      zoneAware: { routingEnabledPercent: 100, minClusterSize: 2 }, healthCheck: { path: "/healthz" } });
    cfg.localCluster("local");
    const b = cfg.build();
    assert.deepEqual(b.static_resources.clusters[1].common_lb_config, {
      healthy_panic_threshold: { value: 30 },
      zone_aware_lb_config: { routing_enabled: { value: 100 }, min_cluster_size: 2 },
    });
    const r = await validateConfig(b, { baseDir: base, runModules: false });
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.warnings, []);
  });

  it("reports two listeners on one address, but not two on port 0 (kernel-chosen)", async () => {
    const twoOn = (port: number) => new EnvoyConfig({ wasmDir: "build" })
      .httpListener({ name: "a", address: { host: "127.0.0.1", port }, statPrefix: "a", routes: [{ prefix: "/", cluster: "c" }] })
      .httpListener({ name: "b", address: { host: "127.0.0.1", port }, statPrefix: "b", routes: [{ prefix: "/", cluster: "c" }] })
      .cluster({ name: "c", endpoints: [{ host: "127.0.0.1", port: 1 }] }).build();
    assert.deepEqual((await validateConfig(twoOn(8080), { runModules: false })).errors.map(formatError),
      ["static_resources.listeners[1].address.socket_address: listener address 127.0.0.1:8080 is already used by static_resources.listeners[0]"]);
    assert.deepEqual((await validateConfig(twoOn(0), { runModules: false })).errors, []);
  });

  it("warns when the drain filter polls a cluster that is not this Envoy's admin", async () => {
    const drain = { admin: { cluster: "messages" } };
    const r = await validateConfig(defaultTopology({ drainSignalConfig: drain }).build(), { baseDir: base, runModules: false });
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.warnings.map((w) => w.path), ["static_resources.listeners[0].filter_chains[0].filters[1].typed_config.http_filters[2].typed_config.config.configuration.value"]);
    assert.match(r.warnings[0].message, /polls cluster "messages" \(127\.0\.0\.1:9101, 127\.0\.0\.1:9102\), which is not this Envoy's admin address 127\.0\.0\.1:9901/);
  });

  it("reports a local_cluster_name that names no cluster", async () => {
    const cfg = new EnvoyConfig({ wasmDir: "build" }).localCluster("nowhere");
    const { errors } = await validateConfig(cfg.build(), { runModules: false });
    assert.deepEqual(errors.map((e) => e.path), ["cluster_manager.local_cluster_name"]);
  });

  it("lets later parts add routes and filters to a listener, in order, ahead of the router", () => {
    const cfg = defaultTopology();
    cfg.addRoute("operator", { path: "/healthz", direct: { status: 200, body: "ok" } });
    cfg.addHttpFilter("public", { name: "add-header", module: "add-header.wasm", rootId: "add_header", configuration: "x-added: 1" });
    const b = cfg.build();
    const operatorRoutes = b.static_resources.listeners[1].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes;
    assert.deepEqual(operatorRoutes.at(-1), { match: { path: "/healthz" }, direct_response: { status: 200, body: { inline_string: "ok" } } });
    assert.deepEqual(httpFilters(b, 0).map((f: any) => f.typed_config.config?.root_id ?? f.name),
      ["ws_router", "conn_accounting", "drain_signal", "add_header", "envoy.filters.http.router"]);
    assert.equal(httpFilters(b, 0)[3].typed_config.config.configuration.value, "x-added: 1");
  });

  it("refuses a second listener or cluster of the same name, and parts for a listener it lacks", () => {
    const cfg = defaultTopology();
    assert.throws(() => cfg.cluster({ name: "apps", endpoints: [] }), /cluster "apps" is already in this config/);
    assert.throws(() => cfg.httpListener({ name: "public", address: { host: "127.0.0.1", port: 1 }, statPrefix: "p", routes: [] }), /listener "public" is already/);
    assert.throws(() => cfg.addRoute("nowhere", { prefix: "/", cluster: "apps" }), /no listener "nowhere" added with httpListener \(listeners: public, operator\)/);
  });

  it("refuses a route with both a cluster and a cluster header before building anything", () => {
    const cfg = new EnvoyConfig({ wasmDir: "build" });
    assert.throws(() => cfg.httpListener({ name: "l", address: { host: "127.0.0.1", port: 1 }, statPrefix: "l",
      routes: [{ prefix: "/", cluster: "a", clusterHeader: "x" }] }), /exactly one of cluster, clusterHeader or direct/);
  });
});

describe("route tables a client could steer", () => {
  it("warns about a cluster_header route behind ws_router, and the default topology has none", async () => {
    const cfg = defaultTopology();
    cfg.addRoute("public", { prefix: "/", clusterHeader: "x-wss-cluster" });
    const r = await validateConfig(cfg.build(), { runModules: false });
    assert.deepEqual(r.errors, []);
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0].path, /routes\[4\]\.route\.cluster_header$/);
    assert.match(r.warnings[0].message, /lets a request reach any cluster its header names/);
    assert.deepEqual((await validateConfig(defaultTopology().build(), { runModules: false })).warnings, []);
  });
});
