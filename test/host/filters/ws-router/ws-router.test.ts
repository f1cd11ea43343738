// ws-router in the Envoy-like host: every branch of on_request_headers with the compiled module.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { Host, ManualClock, FilterHeadersStatus, type Plugin, type HeaderList } from "../../../../envoy-test/host/index.ts";
import { CONFIG, WASM, ensureBuilt, upgrade, values, withHeader } from "../../../../bench/support/ws-router.ts";

let host: Host;
let plugin: Plugin;

before(async () => {
  const wasm = await ensureBuilt();
  host = new Host({ clock: new ManualClock() });
  plugin = await host.loadPlugin({ wasm, rootId: "ws_router", vmId: "wss", configuration: CONFIG, workers: 2 });
});

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const counter = (name: string) => host.stats.get(`wasmcustom.${name}`) ?? 0;

function send(headers: HeaderList, worker = 0) {
  const s = plugin.createHttpStream({ worker });
  const status = s.callOnRequestHeaders(headers, false);
  return { s, status };
}

function route(headers: HeaderList, worker = 0): { service: string; cluster: string } {
  const { s, status } = send(headers, worker);
  assert.equal(s.localResponse, null, `unexpected local reply ${s.localResponse?.status} ${s.localResponse && text(s.localResponse.body)}`);
  assert.equal(status, FilterHeadersStatus.Continue);
  const service = values(s.requestHeaders, "x-wss-service");
  const cluster = values(s.requestHeaders, "x-wss-cluster");
  assert.equal(service.length, 1, "exactly one x-wss-service");
  assert.equal(cluster.length, 1, "exactly one x-wss-cluster");
  s.complete();
  return { service: service[0], cluster: cluster[0] };
}

test("a valid upgrade on each configured path is sent to its service's cluster", () => {
  assert.deepEqual(route(upgrade("/messages")), { service: "messages", cluster: "messages" });
  assert.deepEqual(route(upgrade("/presence")), { service: "presence", cluster: "presence" });
  assert.deepEqual(route(upgrade("/apps")), { service: "apps", cluster: "apps" });
});

test("the longest prefix wins and the query string does not affect the route", () => {
  assert.deepEqual(route(upgrade("/messages/v2/socket")), { service: "messages-v2", cluster: "messages-v2" });
  assert.deepEqual(route(upgrade("/messages/v3?token=abc")), { service: "messages", cluster: "messages" });
});

test("a host-restricted route serves its primary and backup hostnames, any case and port", () => {
  assert.equal(route(upgrade("/apps", "wss-backup.slack.com")).cluster, "apps");
  assert.equal(route(upgrade("/apps", "WSS-Primary.Slack.com:443")).cluster, "apps");
});

test("the filter keeps every other request header as the client sent it", () => {
  const { s } = send(upgrade("/messages", "wss-primary.slack.com", [["cookie", "d=abc"]]));
  assert.deepEqual(values(s.requestHeaders, "cookie"), ["d=abc"]);
  assert.deepEqual(values(s.requestHeaders, "sec-websocket-key"), ["dGhlIHNhbXBsZSBub25jZQ=="]);
  assert.deepEqual(values(s.requestHeaders, "user-agent"), ["ws-router-test"]);
  s.complete();
});

test("a plain browser GET gets a 404 local reply and touches no counter", () => {
  const before = [counter("wss.router.no_route"), counter("wss.router.bad_request")];
  const { s, status } = send([
    [":method", "GET"], [":scheme", "https"], [":authority", "wss-primary.slack.com"], [":path", "/messages"],
    ["accept", "text/html"], ["connection", "keep-alive"],
  ]);
  assert.notEqual(status, FilterHeadersStatus.Continue, "a refused request is not forwarded");
  assert.equal(s.localResponse?.status, 404);
  assert.equal(s.localResponse?.details, "ws_router_not_upgrade");
  assert.match(text(s.localResponse!.body), /only accepts websocket upgrades/);
  assert.deepEqual([counter("wss.router.no_route"), counter("wss.router.bad_request")], before);
  s.complete();
});

test("a valid upgrade on no route gets a 404 and counts wss.router.no_route", () => {
  const before = counter("wss.router.no_route");
  for (const [path, authority] of [["/chat", "wss-primary.slack.com"], ["/messagesx", "wss-primary.slack.com"], ["/apps", "evil.example.com"]]) {
    const { s, status } = send(upgrade(path, authority));
    assert.notEqual(status, FilterHeadersStatus.Continue, path);
    assert.equal(s.localResponse?.status, 404, path);
    assert.equal(s.localResponse?.details, "ws_router_no_route");
    assert.match(text(s.localResponse!.body), /no websocket service at this path/);
    assert.deepEqual(values(s.requestHeaders, "x-wss-cluster"), [], "no cluster header on a refused request");
    s.complete();
  }
  assert.equal(counter("wss.router.no_route"), before + 3);
});

const MALFORMED: [string, HeaderList, RegExp][] = [
  ["a POST upgrade", withHeader(upgrade("/messages"), ":method", "POST"), /method must be GET/],
  ["Upgrade: h2c", withHeader(upgrade("/messages"), "upgrade", "h2c"), /Upgrade header must be "websocket"/],
  ["a key without an Upgrade header", withHeader(upgrade("/messages"), "upgrade", null), /Upgrade header must be "websocket"/],
  ["Connection: keep-alive only", withHeader(upgrade("/messages"), "connection", "keep-alive"), /Connection header must contain "upgrade"/],
  ["Sec-WebSocket-Version: 8", withHeader(upgrade("/messages"), "sec-websocket-version", "8"), /Sec-WebSocket-Version must be 13/],
  ["no Sec-WebSocket-Version", withHeader(upgrade("/messages"), "sec-websocket-version", null), /Sec-WebSocket-Version must be 13/],
  ["a 15-byte key", withHeader(upgrade("/messages"), "sec-websocket-key", "AAAAAAAAAAAAAAAAAAAA"), /Sec-WebSocket-Key must be base64 of 16 bytes/],
  ["no key", withHeader(upgrade("/messages"), "sec-websocket-key", null), /Sec-WebSocket-Key must be base64 of 16 bytes/],
  ["two keys", [...upgrade("/messages"), ["sec-websocket-key", "AAAAAAAAAAAAAAAAAAAAAA=="]], /Sec-WebSocket-Key must be base64 of 16 bytes/],
  ["a malformed upgrade on an unknown path", withHeader(upgrade("/nowhere"), "sec-websocket-version", "7"), /Sec-WebSocket-Version must be 13/],
];

for (const [what, headers, reason] of MALFORMED) {
  test(`${what} gets a 400 with the reason in the body and counts wss.router.bad_request`, () => {
    const before = counter("wss.router.bad_request");
    const noRoute = counter("wss.router.no_route");
    const { s, status } = send(headers);
    assert.notEqual(status, FilterHeadersStatus.Continue, "a refused request is not forwarded");
    assert.equal(s.localResponse?.status, 400);
    assert.match(text(s.localResponse!.body), reason);
    assert.match(s.localResponse!.details, /^ws_router_bad_[a-z]+$/);
    assert.equal(counter("wss.router.bad_request"), before + 1);
    assert.equal(counter("wss.router.no_route"), noRoute);
    s.complete();
  });
}

test("a refused version names the supported one in Sec-WebSocket-Version (RFC 6455 4.4)", () => {
  const { s } = send(withHeader(upgrade("/messages"), "sec-websocket-version", "8"));
  assert.deepEqual(values(s.localResponse!.headers, "sec-websocket-version"), ["13"]);
  s.complete();
});

test("Firefox's Connection: keep-alive, Upgrade and Upgrade: WebSocket are accepted", () => {
  const h = withHeader(withHeader(upgrade("/messages"), "connection", "keep-alive, Upgrade"), "upgrade", "WebSocket");
  assert.equal(route(h).cluster, "messages");
});

test("client-supplied x-wss-* and configured internal headers are removed before routing", () => {
  const spoofed = upgrade("/messages", "wss-primary.slack.com", [
    ["x-wss-cluster", "admin-internal"],
    ["x-wss-cluster", "second-copy"],
    ["x-wss-service", "apps"],
    ["x-wss-drain", "1"],
    ["x-slack-internal-user", "U0ADMIN"],
    ["x-slack-team", "T1"],
  ]);
  const { s, status } = send(spoofed);
  assert.equal(status, FilterHeadersStatus.Continue);
  assert.deepEqual(values(s.requestHeaders, "x-wss-cluster"), ["messages"]);
  assert.deepEqual(values(s.requestHeaders, "x-wss-service"), ["messages"]);
  assert.deepEqual(values(s.requestHeaders, "x-wss-drain"), []);
  assert.deepEqual(values(s.requestHeaders, "x-slack-internal-user"), []);
  assert.deepEqual(values(s.requestHeaders, "x-slack-team"), ["T1"], "a non-internal header stays");
  s.complete();
});

test("a spoofed cluster header cannot pick a shard or a cluster on a sharded service", () => {
  const r = route(upgrade("/presence", "wss-primary.slack.com", [["x-wss-cluster", "presence-c"]]));
  assert.equal(r.cluster, "presence", "no key: the default cluster, whatever the client sent");
});

test("the same shard key lands on the same shard on every request and every worker", () => {
  for (const team of ["T1", "T02ABCDEF", "TZZZ"]) {
    const first = route(upgrade(`/presence?team=${team}`), 0).cluster;
    assert.match(first, /^presence-[abc]$/);
    for (let i = 0; i < 5; i++) assert.equal(route(upgrade(`/presence?team=${team}`), i % 2).cluster, first);
  }
});

test("different shard keys spread over every shard cluster", () => {
  const seen = new Map<string, number>();
  for (let i = 0; i < 300; i++) {
    const c = route(upgrade(`/presence?team=T${i}`)).cluster;
    seen.set(c, (seen.get(c) ?? 0) + 1);
  }
  assert.deepEqual([...seen.keys()].sort(), ["presence-a", "presence-b", "presence-c"]);
  for (const [c, n] of seen) assert.ok(n > 60, `${c} got only ${n} of 300 keys`);
});

test("the shard key comes from the header when the query has none, and the query wins over the header", () => {
  const byQuery = route(upgrade("/presence?team=T42")).cluster;
  const byHeader = route(upgrade("/presence", "wss-primary.slack.com", [["x-slack-team", "T42"]])).cluster;
  assert.equal(byHeader, byQuery);
  // Find a team whose shard differs from T42's, send it in the query with T42 in the header.
  let other = "";
  for (let i = 0; !other; i++) if (route(upgrade(`/presence?team=U${i}`)).cluster !== byQuery) other = `U${i}`;
  const both = route(upgrade(`/presence?team=${other}`, "wss-primary.slack.com", [["x-slack-team", "T42"]])).cluster;
  assert.notEqual(both, byQuery);
});

test("a request without a shard key, or with an empty one, goes to the service's default cluster", () => {
  assert.equal(route(upgrade("/presence")).cluster, "presence");
  assert.equal(route(upgrade("/presence?team=")).cluster, "presence");
  assert.equal(route(upgrade("/presence?teams=T1")).cluster, "presence");
});

test("non-ASCII bytes in the path and in header values are read as UTF-8", () => {
  assert.equal(route(upgrade("/messages/caf\u00e9?x=\u00fc")).cluster, "messages");
  const byQuery = route(upgrade("/presence?team=\u00e9quipe")).cluster;
  assert.equal(route(upgrade("/presence", "wss-primary.slack.com", [["x-slack-team", "\u00e9quipe"]])).cluster, byQuery);
});

test("an internal header is removed whatever the letter case the client used", () => {
  const { s } = send(upgrade("/messages", "wss-primary.slack.com", [["X-WSS-Cluster", "apps"], ["X-Slack-Internal-User", "U1"]]));
  assert.deepEqual(s.requestHeaders.filter(([k]) => k.toLowerCase() === "x-wss-cluster").map(([, v]) => v), ["messages"]);
  assert.deepEqual(s.requestHeaders.filter(([k]) => k.toLowerCase() === "x-slack-internal-user"), []);
  s.complete();
});

test("a request without :authority can still use an any-host route", () => {
  const h = upgrade("/messages").filter(([k]) => k !== ":authority");
  assert.equal(route(h).cluster, "messages");
  const { s } = send(upgrade("/apps").filter(([k]) => k !== ":authority"));
  assert.equal(s.localResponse?.status, 404, "the host-restricted /apps route needs a host");
  s.complete();
});

test("linear memory stops growing: 20,000 more requests of every kind leave it the same size", async () => {
  const own = await host.loadPlugin({ wasm: WASM, rootId: "ws_router", name: "memory", configuration: CONFIG, workers: 1 });
  const kinds: HeaderList[] = [
    upgrade("/messages"), upgrade("/presence?team=T9"), upgrade("/nowhere"),
    withHeader(upgrade("/messages"), "sec-websocket-key", null),
    upgrade("/messages", "wss-primary.slack.com", [["x-wss-cluster", "evil"]]),
    [[":method", "GET"], [":path", "/"], [":authority", "x"]],
  ];
  const run = (n: number) => {
    for (let i = 0; i < n; i++) {
      const s = own.createHttpStream();
      s.callOnRequestHeaders(kinds[i % kinds.length]);
      s.complete();
    }
  };
  run(2000);
  const before = own.workers[0].memoryBytes().length;
  run(20000);
  assert.equal(own.workers[0].memoryBytes().length, before);
});

test("each request's values are read afresh, also when they have the previous request's length", () => {
  // "/messages" and "/presence" are both 9 bytes; "13" and "14", and the two keys, share lengths.
  for (let i = 0; i < 3; i++) {
    assert.equal(route(upgrade("/messages")).cluster, "messages");
    assert.equal(route(upgrade("/presence")).cluster, "presence");
  }
  assert.equal(route(upgrade("/messages")).cluster, "messages");
  const v14 = send(withHeader(upgrade("/messages"), "sec-websocket-version", "14"));
  assert.equal(v14.s.localResponse?.status, 400);
  v14.s.complete();
  assert.equal(route(upgrade("/messages")).cluster, "messages");
  const badKey = send(withHeader(upgrade("/messages"), "sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=A"));
  assert.equal(badKey.s.localResponse?.status, 400);
  badKey.s.complete();
  assert.equal(route(withHeader(upgrade("/messages"), ":authority", "wss-backup.slack.com")).cluster, "messages");
  const apps = send(withHeader(upgrade("/apps"), ":authority", "wss-bockup.slack.com"));
  assert.equal(apps.s.localResponse?.status, 404, "a host of the same length is compared, not reused");
  apps.s.complete();
});
