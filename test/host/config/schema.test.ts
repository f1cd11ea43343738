// How the validator reads values, field by field, as Envoy's YAML -> JSON -> proto parse does
// (source/common/protobuf/yaml_utility.cc) and as protoc-gen-validate then checks them.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatError, parseYaml, toYaml, validateConfig } from "../../../envoy-test/config/index.ts";

const CLUSTER = "envoy.config.cluster.v3.Cluster";
const ROUTE = "envoy.config.route.v3.RouteConfiguration";

async function errorsOf(type: string, yaml: string): Promise<string[]> {
  const { value, errors } = parseYaml(yaml);
  assert.deepEqual(errors, []);
  return (await validateConfig(value, { type, runModules: false })).errors.map(formatError);
}

describe("scalars and well-known types", () => {
  it("accepts int64 as a number or a string, and refuses it out of range", async () => {
    assert.deepEqual(await errorsOf("envoy.type.v3.Int64Range", `start: "-9223372036854775808"\nend: 9007199254740993`), []);
    assert.deepEqual(await errorsOf("envoy.type.v3.Int64Range", `start: "9223372036854775808"`),
      ["start: value 9223372036854775808 out of range for int64 (-9223372036854775808..9223372036854775807)"]);
    assert.deepEqual(await errorsOf("envoy.type.v3.Int64Range", `start: 1.5`), ["start: expected an integer (int64), got number 1.5"]);
  });

  it("accepts uint32 as a number or a string, and refuses it out of range", async () => {
    assert.deepEqual(await errorsOf(CLUSTER, `name: c\nper_connection_buffer_limit_bytes: "4294967295"\nmax_requests_per_connection: 7`), []);
    assert.deepEqual(await errorsOf(CLUSTER, `name: c\nper_connection_buffer_limit_bytes: 4294967296`),
      ["per_connection_buffer_limit_bytes: value 4294967296 out of range for uint32 (0..4294967295)"]);
    assert.deepEqual(await errorsOf("envoy.config.core.v3.RuntimeUInt32", `runtime_key: k\ndefault_value: -1`),
      ["default_value: value -1 out of range for uint32 (0..4294967295)"]);
  });

  it("reads Durations only in the \"1.5s\" form with at most nine fraction digits", async () => {
    assert.deepEqual(await errorsOf(CLUSTER, `name: c\nconnect_timeout: 0.000000001s`), []);
    for (const bad of ["1.0000000001s", "5", "1m", "{seconds: 1}"]) {
      const errs = await errorsOf(CLUSTER, `name: c\nconnect_timeout: ${bad}`);
      assert.equal(errs.length, 1, bad);
      assert.match(errs[0], /^connect_timeout: expected a Duration like "1\.5s"/, bad);
    }
  });

  it("takes wrappers as their bare value, not as {value: ...}", async () => {
    assert.deepEqual(await errorsOf(CLUSTER, `name: c\nper_connection_buffer_limit_bytes: 1024`), []);
    assert.deepEqual(await errorsOf(CLUSTER, `name: c\nper_connection_buffer_limit_bytes: {value: 1024}`),
      ["per_connection_buffer_limit_bytes: expected an integer (uint32), got a mapping"]);
  });

  it("reads enums by name in any case or by number, and refuses unknown names", async () => {
    assert.deepEqual(await errorsOf(CLUSTER, `name: c\nlb_policy: least_request`), []);
    assert.deepEqual(await errorsOf(CLUSTER, `name: c\nlb_policy: 1`), []);
    assert.deepEqual(await errorsOf(CLUSTER, `name: c\nlb_policy: "1"`), []);
    assert.equal((await errorsOf(CLUSTER, `name: c\nlb_policy: LEAST`)).length, 1);
  });

  it("refuses null inside a list, as protobuf's JSON parser does", async () => {
    assert.deepEqual(await errorsOf(ROUTE, `virtual_hosts: [{name: v, domains: ["*", null]}]`), ["virtual_hosts[0].domains[1]: null cannot occur inside a list"]);
  });

  it("reads integers written as exact floats, but not with a fraction or spaces", async () => {
    assert.deepEqual(await errorsOf("envoy.type.v3.Int64Range", `start: "1e3"\nend: 2.0`), []);
    assert.equal((await errorsOf("envoy.type.v3.Int64Range", `start: " 5"`)).length, 1);
    assert.equal((await errorsOf("envoy.type.v3.Int64Range", `start: "2.5"`)).length, 1);
  });

  it("refuses an enum number outside the enum where validate.rules say defined_only", async () => {
    assert.deepEqual(await errorsOf(CLUSTER, `name: c\nlb_policy: 42`),
      ["lb_policy: value 42 is not a defined envoy.config.cluster.v3.Cluster.LbPolicy (one of ROUND_ROBIN, LEAST_REQUEST, RING_HASH, RANDOM, MAGLEV, CLUSTER_PROVIDED, LOAD_BALANCING_POLICY_CONFIG)"]);
  });

  it("accepts any JSON inside a Struct and checks the type inside an Any", async () => {
    assert.deepEqual(await errorsOf(CLUSTER, `name: c\nmetadata: {filter_metadata: {"envoy.lb": {canary: true, weights: [1, 2], nested: {a: null}}}}`), []);
    assert.deepEqual(await errorsOf(CLUSTER, `name: c\ntyped_extension_protocol_options:\n  x: {"@type": type.googleapis.com/google.protobuf.StringValue, value: 5}`),
      ["typed_extension_protocol_options.x.value: expected a string, got number 5 (quote it in YAML)"]);
  });
});

describe("message types loaded on first use", () => {
  it("checks a typed_config whose message the bootstrap does not import (the Lua filter)", async () => {
    const hcm = "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";
    const errs = await errorsOf(hcm, `stat_prefix: s\nroute_config: {}\nhttp_filters:\n- name: lua\n  typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua, default_source_code: {inline_string: "x"}, inline_cod: "y"}`);
    assert.deepEqual(errs, ['http_filters[0].typed_config.inline_cod: unknown field "inline_cod" in envoy.extensions.filters.http.lua.v3.Lua (did you mean "inline_code"?)']);
  });
});

describe("TypedStruct", () => {
  it("checks a TypedStruct's value as the message its type_url names", async () => {
    const opts = (inner: string) => `name: c\ntyped_extension_protocol_options:\n  x: {"@type": type.googleapis.com/xds.type.v3.TypedStruct, type_url: ${inner}, value: {explicit_http_config: {htp2_protocol_options: {}}}}`;
    const errs = await errorsOf(CLUSTER, opts("type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions"));
    assert.equal(errs[0], 'typed_extension_protocol_options.x.value.explicit_http_config.htp2_protocol_options: unknown field "htp2_protocol_options" in envoy.extensions.upstreams.http.v3.HttpProtocolOptions.ExplicitHttpConfig (did you mean "http2_protocol_options"?)');
    assert.deepEqual(await errorsOf(CLUSTER, opts("type.googleapis.com/nope.Nothing")),
      [`typed_extension_protocol_options.x.type_url: unknown type "type.googleapis.com/nope.Nothing": not a message in Envoy's v3 API (July 2024 protos)`]);
  });
});

describe("validate.rules", () => {
  it("requires a message marked required (Route.match)", async () => {
    assert.deepEqual(await errorsOf(ROUTE, `virtual_hosts: [{name: v, domains: ["*"], routes: [{route: {cluster: c}}]}]`),
      ["virtual_hosts[0].routes[0].match: value is required"]);
  });

  it("requires at least one item where min_items is set (VirtualHost.domains)", async () => {
    assert.deepEqual(await errorsOf(ROUTE, `virtual_hosts: [{name: v, routes: []}]`),
      ["virtual_hosts[0].domains: value must contain at least 1 item(s)"]);
  });

  it("checks header-name rules on strings (RouteAction.cluster_header)", async () => {
    assert.deepEqual(await errorsOf(ROUTE, `virtual_hosts: [{name: v, domains: ["*"], routes: [{match: {prefix: /}, route: {cluster_header: "x-wss\\ncluster"}}]}]`),
      ["virtual_hosts[0].routes[0].route.cluster_header: value is not a valid header name"]);
  });

  it("reports nothing for a valid route configuration", async () => {
    assert.deepEqual(await errorsOf(ROUTE, `name: r\nvirtual_hosts: [{name: v, domains: ["*"], routes: [{match: {prefix: /}, route: {cluster: c}}]}]`), []);
  });
});

describe("YAML as Envoy reads it", () => {
  it("reads unquoted y/yes/on/off in any case as booleans (yaml-cpp), but 1:30 and 1_000 as strings", () => {
    const { value } = parseYaml("a: Yes\nb: on\nc: N\nd: OFF\ne: 1:30\nf: 1_000\ng: '1.5s'\nh: 0x1F\ni: \"on\"");
    assert.deepEqual(value, { a: true, b: true, c: false, d: false, e: "1:30", f: "1_000", g: "1.5s", h: 31, i: "on" });
  });

  it("writes strings that Envoy would read as booleans or numbers quoted, so they stay strings", () => {
    const strings = { a: "on", b: "yes", c: "y", d: "0777", e: "12", f: "1.0", g: "Off" };
    const text = toYaml(strings);
    for (const k of Object.keys(strings)) assert.match(text, new RegExp(`^${k}: "`, "m"));
    assert.deepEqual(parseYaml(text).value, strings);
  });

  it("reports a YAML syntax error with its line, column and the lines around it", () => {
    const { errors } = parseYaml("a: [1, 2\nb: 3\n", "x.yaml");
    assert.equal(errors.length, 1);
    assert.equal(errors[0].path, "x.yaml:2:1");
    assert.equal(errors[0].message.split("\n").slice(1).join("\n"), "a: [1, 2\nb: 3\n^");
  });

  it("names the document itself when it is not a mapping", async () => {
    assert.deepEqual((await validateConfig([1, 2], { runModules: false })).errors.map(formatError),
      ["(document): expected a mapping for envoy.config.bootstrap.v3.Bootstrap, got a list"]);
  });
});
