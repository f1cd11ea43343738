import { parseRouterConfig, RouterConfig } from "../../../filters/ws-router/config";
import { configError } from "../../../sdk/config";

const GOOD = `{
  "strip_headers": ["X-Slack-Internal-User"],
  "services": [
    {"name": "messages", "cluster": "messages"},
    {"name": "presence", "cluster": "presence",
     "shard": {"query": "team", "header": "X-Slack-Team", "clusters": ["presence-a", "presence-b"]}}
  ],
  "routes": [
    {"prefix": "/messages", "service": "messages"},
    {"prefix": "/presence", "service": "presence", "hosts": ["wss-primary.slack.com", "wss-backup.slack.com"]}
  ]
}`;

function bad(text: string): string {
  const c = parseRouterConfig(text);
  expect(c).toBeNull();
  return configError();
}

const SVC = `"services": [{"name": "messages", "cluster": "messages"}]`;
const ROUTE = `"routes": [{"prefix": "/messages", "service": "messages"}]`;

describe("ws-router configuration", () => {
  it("compiles a full configuration with defaults for the header names", () => {
    const c = parseRouterConfig(GOOD) as RouterConfig;
    expect(c).not.toBeNull();
    expect(c.serviceHeader).toBe("x-wss-service");
    expect(c.clusterHeader).toBe("x-wss-cluster");
    expect(c.stripHeaders[0]).toBe("x-slack-internal-user");
    expect(c.services.length).toBe(2);
    expect(c.services[1].shardQuery).toBe("team");
    expect(c.services[1].shardHeader).toBe("x-slack-team");
    expect(c.table.match("wss-backup.slack.com", "/presence")).toBe(1);
    expect(c.table.match("other.example", "/presence")).toBe(-1);
  });

  it("treats x-wss-*, the two routing headers and strip_headers as internal", () => {
    const c = parseRouterConfig(`{"service_header": "x-svc", "cluster_header": "x-cluster", "strip_headers": ["x-a"], ${SVC}, ${ROUTE}}`) as RouterConfig;
    expect(c.isInternal("x-wss-anything")).toBe(true);
    expect(c.isInternal("x-svc")).toBe(true);
    expect(c.isInternal("x-cluster")).toBe(true);
    expect(c.isInternal("x-a")).toBe(true);
    expect(c.isInternal("x-b")).toBe(false);
    expect(c.isInternal("user-agent")).toBe(false);
  });

  it("names the JSON error position", () => {
    expect(bad(`{"services": [}`).includes("configuration: invalid JSON at")).toBe(true);
  });

  it("refuses a configuration that is not an object", () => {
    expect(bad(`[]`)).toBe("configuration: expected a JSON object");
  });

  it("requires services and routes", () => {
    expect(bad(`{${ROUTE}}`)).toBe("services: required");
    expect(bad(`{${SVC}}`)).toBe("routes: required");
    expect(bad(`{"services": [], ${ROUTE}}`)).toBe("services: expected at least one service");
  });

  it("names an unknown top-level or nested key", () => {
    expect(bad(`{${SVC}, ${ROUTE}, "clusters": 1}`).includes("clusters: unknown key")).toBe(true);
    expect(bad(`{${SVC}, "routes": [{"prefix": "/m", "service": "messages", "cluster": "x"}]}`).includes("routes[0].cluster: unknown key")).toBe(true);
  });

  it("names a route pointing at an unknown service and lists the known ones", () => {
    expect(bad(`{${SVC}, "routes": [{"prefix": "/m", "service": "messages"}, {"prefix": "/c", "service": "chat"}]}`))
      .toBe("routes[1].service: unknown service \"chat\" (services: messages)");
  });

  it("refuses prefixes that are not paths", () => {
    expect(bad(`{${SVC}, "routes": [{"prefix": "messages", "service": "messages"}]}`)).toBe("routes[0].prefix: \"messages\" must start with \"/\"");
    expect(bad(`{${SVC}, "routes": [{"prefix": "/m?x=1", "service": "messages"}]}`)).toBe("routes[0].prefix: \"/m?x=1\" must be a path without query or fragment");
  });

  it("refuses a duplicate prefix for the same host", () => {
    expect(bad(`{${SVC}, "routes": [{"prefix": "/m", "service": "messages", "hosts": ["a"]}, {"prefix": "/m", "service": "messages", "hosts": ["A:443"]}]}`))
      .toBe("routes[1].prefix: duplicate prefix \"/m\" for host \"a\"");
  });

  it("names wrong types with the key path", () => {
    expect(bad(`{${SVC}, "routes": [{"prefix": 7, "service": "messages"}]}`)).toBe("routes[0].prefix: expected string, got number");
    expect(bad(`{${SVC}, "routes": [{"prefix": "/m", "service": "messages", "hosts": ["a", 1]}]}`)).toBe("routes[0].hosts[1]: expected string");
    expect(bad(`{"services": ["messages"], ${ROUTE}}`)).toBe("services[0]: expected object");
  });

  it("refuses service names that cannot be stat name segments, and duplicates", () => {
    expect(bad(`{"services": [{"name": "my service", "cluster": "c"}], ${ROUTE}}`).includes("services[0].name: \"my service\" must be characters of [A-Za-z0-9_-]")).toBe(true);
    expect(bad(`{"services": [{"name": "m", "cluster": "c"}, {"name": "m", "cluster": "d"}], ${ROUTE}}`)).toBe("services[1].name: duplicate service \"m\"");
    expect(bad(`{"services": [{"name": "m", "cluster": ""}], ${ROUTE}}`)).toBe("services[0].cluster: must not be empty");
  });

  it("refuses invalid header names and equal routing headers", () => {
    expect(bad(`{"cluster_header": "x cluster", ${SVC}, ${ROUTE}}`).includes("cluster_header: \"x cluster\" is not a valid header name")).toBe(true);
    expect(bad(`{"service_header": ":authority", ${SVC}, ${ROUTE}}`).includes("service_header: \":authority\" is a pseudo-header")).toBe(true);
    expect(bad(`{"service_header": "x-a", "cluster_header": "X-A", ${SVC}, ${ROUTE}}`)).toBe("cluster_header: \"x-a\" is also service_header; use two names");
    expect(bad(`{"strip_headers": ["ok", "bad header"], ${SVC}, ${ROUTE}}`).includes("strip_headers[1]: \"bad header\" is not a valid header name")).toBe(true);
  });

  it("requires a shard key source and a non-empty, duplicate-free cluster list", () => {
    expect(bad(`{"services": [{"name": "messages", "cluster": "m", "shard": {"clusters": ["a"]}}], ${ROUTE}}`))
      .toBe("services[0].shard.query: a shard needs \"query\" or \"header\" to read its key from");
    expect(bad(`{"services": [{"name": "messages", "cluster": "m", "shard": {"query": "team", "clusters": []}}], ${ROUTE}}`))
      .toBe("services[0].shard.clusters: expected 1-1024 cluster names");
    expect(bad(`{"services": [{"name": "messages", "cluster": "m", "shard": {"query": "team", "clusters": ["a", "a"]}}], ${ROUTE}}`))
      .toBe("services[0].shard.clusters[1]: duplicate \"a\"");
    expect(bad(`{"services": [{"name": "messages", "cluster": "m", "shard": {"query": "team"}}], ${ROUTE}}`))
      .toBe("services[0].shard.clusters: required");
    expect(bad(`{"services": [{"name": "messages", "cluster": "m", "shard": {"query": "team", "clusters": ["a"], "vnodes": 3}}], ${ROUTE}}`).includes("services[0].shard.vnodes: unknown key")).toBe(true);
  });
});
