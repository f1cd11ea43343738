// Regular expressions with Envoy's engine, RE2: the admin's /stats?filter= and route safe_regex
// accept RE2 syntax a JavaScript RegExp lacks, refuse what RE2 refuses (lookaround,
// backreferences), and match in linear time; the validator refuses what Envoy's RE2 refuses.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { formatError, parseYaml, validateConfig } from "../../envoy-test/config/index.ts";
import { parseBootstrap, startGateway, type Gateway } from "../../envoy-test/gateway/index.ts";
import { RouteTable } from "../../envoy-test/gateway/route-table.ts";
import { adminGet, bootstrap, hcm, staticCluster } from "./support.ts";

describe("admin /stats?filter= is RE2", () => {
  let gw: Gateway;
  let admin: number;

  before(async () => {
    gw = await startGateway({ config: bootstrap([hcm([{ match: { prefix: "/" }, direct_response: { status: 404 } }])], []) });
    admin = gw.adminAddress().port;
    gw.stats.gauge("wasmcustom.wss.messages.cx_active").set(3);
    gw.stats.counter("wasmcustom.wss.router.no_route").inc(2);
  });

  after(async () => { await gw?.close(); });

  test("RE2's inline flags work ((?i) is a syntax error in JavaScript)", async () => {
    const r = await adminGet(admin, "/stats?filter=" + encodeURIComponent("(?i)WSS\\.MESSAGES"));
    assert.deepEqual([r.status, r.text], [200, "wasmcustom.wss.messages.cx_active: 3\n"]);
  });

  test("a lookahead or a backreference, which RE2 refuses, is 400 Invalid re2 regex", async () => {
    for (const f of ["wss(?=\\.router)", "(wss)\\1"]) {
      const r = await adminGet(admin, "/stats?filter=" + encodeURIComponent(f));
      assert.equal(r.status, 400, f);
      assert.match(r.text, /^Invalid re2 regex/, f);
    }
  });
});

describe("route safe_regex is RE2 (full match)", () => {
  const routeWith = (regex: string) => bootstrap([hcm([
    { match: { prefix: "/", headers: [{ name: "x-team", string_match: { safe_regex: { regex } } }] }, route: { cluster: "a" } },
  ])], [staticCluster("a", [])]);

  test("RE2 syntax matches the whole value", () => {
    const f = parseBootstrap(routeWith("(?i)core|edge")).listeners[0].filters[0];
    if (f.kind !== "hcm") throw new Error("not an hcm");
    const t = new RouteTable(f.hcm.routeTable);
    const req = (team: string) => t.match([[":authority", "gw"], [":path", "/"], ["x-team", team]]);
    assert.ok(req("CORE"));
    assert.ok(req("edge"));
    assert.equal(req("core-x"), undefined);
  });

  test("the gateway refuses a regex RE2 refuses, naming where", () => {
    assert.throws(() => parseBootstrap(routeWith("(?!core).*")), /safe_regex\.regex: invalid regex: RE2 refuses it/);
  });

  test("the validator refuses it too, and accepts what RE2 accepts", async () => {
    const errorsOf = async (regex: string) => {
      const { value, errors } = parseYaml(`virtual_hosts: [{name: v, domains: ["*"], routes: [{match: {prefix: "/", headers: [{name: x-team, string_match: {safe_regex: {regex: ${JSON.stringify(regex)}}}}]}, route: {cluster: a}}]}]`);
      assert.deepEqual(errors, []);
      return (await validateConfig(value, { type: "envoy.config.route.v3.RouteConfiguration", runModules: false })).errors.map(formatError);
    };
    assert.deepEqual(await errorsOf("(?i)core|edge"), []);
    const bad = await errorsOf("(core)\\1");
    assert.equal(bad.length, 1);
    assert.match(bad[0], /^virtual_hosts\[0\]\.routes\[0\]\.match\.headers\[0\]\.string_match\.safe_regex\.regex: RE2 refuses this regex: .*\\1/);
  });
});
