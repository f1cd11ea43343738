import assert from "node:assert/strict";
import { test } from "node:test";
import { parseBootstrap } from "../../envoy-test/gateway/index.ts";
import { RouteTable } from "../../envoy-test/gateway/route-table.ts";
import type { HeaderList } from "../../envoy-test/host/index.ts";
import { bootstrap, hcm, staticCluster } from "./support.ts";

const routes = [
  { match: { prefix: "/Slack/", case_sensitive: false }, route: { cluster: "a" }, request_headers_to_remove: ["x-route"] },
  { match: { path: "/Exact", case_sensitive: false }, route: { cluster: "a" } },
  { match: { path: "/Strict" }, route: { cluster: "a" } },
  { match: { prefix: "/h", headers: [{ name: "X-Team", string_match: { exact: "Core", ignore_case: true } }] }, route: { cluster: "a" } },
];

function table(): RouteTable {
  const doc = bootstrap([hcm(routes, { route_config: {
    name: "local", request_headers_to_remove: ["x-table"],
    virtual_hosts: [{ name: "all", domains: ["*"], routes, request_headers_to_remove: ["x-vhost"] }],
  } })], [staticCluster("a", [])]);
  const f = parseBootstrap(doc).listeners[0].filters[0];
  assert.equal(f.kind, "hcm");
  if (f.kind !== "hcm") throw new Error("not an hcm");
  return new RouteTable(f.hcm.routeTable);
}

const req = (path: string, extra: HeaderList = []): HeaderList => [[":authority", "gw"], [":path", path], [":method", "GET"], ...extra];
/** Which of `routes` (by position) the request selects; -1 for none. */
const routeIndex = (t: RouteTable, h: HeaderList): number => {
  const m = t.match(h);
  return m ? t.config.virtualHosts[0].routes.indexOf(m.route) : -1;
};

test("case_sensitive: false matches a prefix and a path in any letter case", () => {
  const t = table();
  assert.equal(routeIndex(t, req("/slack/events")), 0);
  assert.equal(routeIndex(t, req("/SLACK/events?x=1")), 0);
  assert.equal(routeIndex(t, req("/eXACT")), 1);
});

test("case-sensitive routes (the default) do not match another letter case", () => {
  const t = table();
  assert.equal(routeIndex(t, req("/Strict")), 2);
  assert.equal(routeIndex(t, req("/strict")), -1);
});

test("a string_match with ignore_case matches the header value in any letter case", () => {
  const t = table();
  assert.equal(routeIndex(t, req("/h", [["x-team", "cORE"]])), 3);
  assert.equal(routeIndex(t, req("/h", [["x-team", "other"]])), -1);
});

test("a match carries request_headers_to_remove of the route, its virtual host and the table", () => {
  const m = table().match(req("/slack/x"));
  assert.deepEqual([...m!.remove].sort(), ["x-route", "x-table", "x-vhost"]);
});
