// drain-signal in the proxy-wasm host: both triggers, two worker VMs, deadlines on the
// ManualClock. Build first: npx tsx envoy-test/build.ts drain-signal
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { describe, it } from "node:test";
import { Host, ManualClock, type Plugin } from "../../../../envoy-test/host/index.ts";
import {
  CLOSE_1001, DISCONNECT, EPOCH_MS, FRAG_END, FRAG_START, GOODBYE, HELLO, PING, TOKEN, WASM, concat, controlRequest,
  hex, openWebsocket, serverSends, signalOffsetMs, toHex,
} from "./fixture.ts";

const skip = existsSync(WASM) ? false : `${WASM} not built (npx tsx envoy-test/build.ts drain-signal)`;
const WINDOW = 4000, GRACE = 1000, DEADLINE = 6000, TICK = 100;

// The signalling tests follow the goodbye alone, then the Close after the grace
// (close_at_signal false); the default, goodbye and Close together, has its own test.
const GOODBYE_THEN_GRACE = [
  { name: "messages", dialect: "slack-rtm", close_at_signal: false },
  { name: "presence", dialect: "slack-rtm", close_at_signal: false },
  { name: "apps", dialect: "socket-mode" },
];

async function setup(extra: Record<string, unknown> = {}, workers = 2): Promise<{ host: Host; plugin: Plugin }> {
  const host = new Host({ clock: new ManualClock() });
  const plugin = await host.loadPlugin({
    wasm: WASM, rootId: "drain_signal", vmId: "wss", workers,
    configuration: JSON.stringify({
      window_ms: WINDOW, grace_ms: GRACE, deadline_ms: DEADLINE, tick_ms: TICK,
      control: { token: TOKEN }, services: GOODBYE_THEN_GRACE, ...extra,
    }),
  });
  return { host, plugin };
}

const stat = (host: Host, name: string): number | undefined => host.stats.get(`wasmcustom.wss.drain.${name}`);
const sharedState = (host: Host): string | undefined => {
  const v = host.sharedData("wss").get("drain_signal.state");
  return v ? Buffer.from(v.value).toString("utf8") : undefined;
};

describe("drain-signal operator route", { skip }, () => {
  it("starts a drain of all services with the right token and says what it did", async () => {
    const { host, plugin } = await setup();
    host.advance(500);
    const r = controlRequest(plugin, "POST", "/drain-signal/start?window_ms=4000");
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body), {
      action: "started",
      drain: { scope: "all", generation: 1, started_at_ms: EPOCH_MS + 500, window_ms: 4000, grace_ms: 1000,
        deadline_ms: 6000, cancelled: false, source: "operator" },
    });
    assert.equal(sharedState(host), `drain-signal v1\n* 1 ${EPOCH_MS + 500} 4000 1000 6000 active operator`);
  });

  it("answers a wrong or missing token with 403 and changes nothing", async () => {
    const { host, plugin } = await setup();
    const before = sharedState(host);
    for (const token of ["wrong-token-0123456789", null]) {
      const r = controlRequest(plugin, "POST", "/drain-signal/start", token);
      assert.equal(r.status, 403);
      assert.deepEqual(JSON.parse(r.body), { error: "missing or wrong x-drain-token header" });
    }
    assert.equal(sharedState(host), before);
  });

  it("answers an invalid request with 400 and the reason, changing nothing", async () => {
    const { host, plugin } = await setup();
    const before = sharedState(host);
    const cases: [string, string, string][] = [
      ["POST", "/drain-signal/start?window_ms=soon", 'window_ms: "soon" is not a whole number of milliseconds in [0, 4294967295]'],
      ["GET", "/drain-signal/start", "/drain-signal/start needs method POST, got GET"],
      ["POST", "/drain-signal/pause", 'unknown control path "/drain-signal/pause": use /drain-signal/start, /drain-signal/cancel or /drain-signal/status'],
      ["POST", "/drain-signal/start?window_ms=9000&deadline_ms=8000", "deadline_ms (8000) is before the end of window_ms (9000)"],
    ];
    for (const [method, path, reason] of cases) {
      const r = controlRequest(plugin, method, path);
      assert.equal(r.status, 400, path);
      assert.deepEqual(JSON.parse(r.body), { error: reason }, path);
    }
    assert.equal(sharedState(host), before);
  });

  it("reports the drains and the state on GET status", async () => {
    const { host, plugin } = await setup();
    controlRequest(plugin, "POST", "/drain-signal/start?service=apps&window_ms=1000&deadline_ms=2000");
    host.advance(1500);
    const r = controlRequest(plugin, "GET", "/drain-signal/status", TOKEN, 1);
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body), {
      now_ms: EPOCH_MS + 1500, state: 2,
      drains: [{ scope: "apps", generation: 1, started_at_ms: EPOCH_MS, window_ms: 1000, grace_ms: 1000, deadline_ms: 2000, cancelled: false, source: "operator" }],
    });
  });

  it("leaves requests outside the control prefix to the rest of the chain", async () => {
    const { plugin } = await setup();
    const s = plugin.createHttpStream();
    s.callOnRequestHeaders([[":method", "GET"], [":path", "/drain-signalx"], [":authority", "a"], [":scheme", "http"]], true);
    assert.equal(s.localResponse, null);
  });

  it("cancels a drain: streams are no longer signalled", async () => {
    const { host, plugin } = await setup();
    const s = openWebsocket(plugin, { service: "messages", worker: 1, connectionId: 11 });
    assert.equal(controlRequest(plugin, "POST", "/drain-signal/start").status, 200);
    const c = controlRequest(plugin, "POST", "/drain-signal/cancel");
    assert.equal(JSON.parse(c.body).action, "cancelled");
    host.advance(WINDOW + TICK);
    assert.equal(toHex(serverSends(s, HELLO)), toHex(HELLO));
    assert.equal(JSON.parse(controlRequest(plugin, "POST", "/drain-signal/cancel").body).action, "none");
  });
});

describe("drain-signal signalling", { skip }, () => {
  it("signals each websocket at its own moment in the window, at a frame boundary, on both worker VMs", async () => {
    const { host, plugin } = await setup();
    const ids = [101, 202];
    const streams = ids.map((connectionId, worker) => openWebsocket(plugin, { service: "messages", worker, connectionId }));
    assert.equal(stat(host, "unsignalled"), 2);
    assert.equal(controlRequest(plugin, "POST", "/drain-signal/start", TOKEN, 0).status, 200);
    const order = ids.map((id, i) => ({ i, at: signalOffsetMs(id, WINDOW) })).sort((a, b) => a.at - b.at);
    let now = 0;
    for (const { i, at } of order) {
      // One ms before its moment: the stream's bytes pass unchanged (worker 1 learnt of the drain on a tick).
      host.advance(at - 1 - now); now = at - 1;
      assert.equal(toHex(serverSends(streams[i], HELLO)), toHex(HELLO), `stream ${i} before its moment`);
      host.advance(1); now = at;
      assert.equal(toHex(serverSends(streams[i], HELLO)), toHex(concat(HELLO, GOODBYE)), `stream ${i} at its moment`);
    }
    assert.equal(stat(host, "signalled"), 2);
    assert.equal(stat(host, "unsignalled"), 0);
  });

  it("sends apps the Socket Mode disconnect and messages the RTM goodbye", async () => {
    const { host, plugin } = await setup();
    const apps = openWebsocket(plugin, { service: "apps", connectionId: 5 });
    const messages = openWebsocket(plugin, { service: "messages", connectionId: 6 });
    controlRequest(plugin, "POST", "/drain-signal/start");
    host.advance(WINDOW);
    assert.equal(toHex(serverSends(apps, PING)), toHex(concat(PING, DISCONNECT)));
    assert.equal(toHex(serverSends(messages, PING)), toHex(concat(PING, GOODBYE)));
  });

  it("by default follows the RTM goodbye at once with Close 1001 (RTMClient reconnects on the close only) and Socket Mode's disconnect with nothing", async () => {
    const { host, plugin } = await setup({ services: undefined });
    const apps = openWebsocket(plugin, { service: "apps", connectionId: 5 });
    const messages = openWebsocket(plugin, { service: "messages", connectionId: 6 });
    const other = openWebsocket(plugin, { service: "unlisted", connectionId: 8 });
    controlRequest(plugin, "POST", "/drain-signal/start");
    host.advance(WINDOW);
    assert.equal(toHex(serverSends(apps, PING)), toHex(concat(PING, DISCONNECT)));
    assert.equal(toHex(serverSends(messages, PING)), toHex(concat(PING, GOODBYE, CLOSE_1001)));
    assert.equal(toHex(serverSends(other, PING)), toHex(concat(PING, GOODBYE, CLOSE_1001)), "default_dialect slack-rtm closes too");
    // After the Close nothing more reaches the client, and no second Close follows the grace.
    host.advance(GRACE);
    assert.equal(serverSends(messages, PING).length, 0);
    assert.equal(stat(host, "grace_close"), 0);
    assert.equal(stat(host, "signalled"), 3);
  });

  it("drains only the named service", async () => {
    const { host, plugin } = await setup();
    const apps = openWebsocket(plugin, { service: "apps", connectionId: 5 });
    const messages = openWebsocket(plugin, { service: "messages", connectionId: 6 });
    assert.equal(controlRequest(plugin, "POST", "/drain-signal/start?service=apps").status, 200);
    host.advance(WINDOW);
    assert.equal(toHex(serverSends(apps, PING)), toHex(concat(PING, DISCONNECT)));
    assert.equal(toHex(serverSends(messages, PING)), toHex(PING));
  });

  it("waits for the end of a fragmented message before adding the signal", async () => {
    const { host, plugin } = await setup();
    const s = openWebsocket(plugin, { service: "messages", connectionId: 7 });
    controlRequest(plugin, "POST", "/drain-signal/start");
    assert.equal(toHex(serverSends(s, FRAG_START)), toHex(FRAG_START)); // not due yet
    host.advance(signalOffsetMs(7, WINDOW));
    assert.equal(toHex(serverSends(s, PING)), toHex(PING));              // due, but inside the message
    assert.equal(toHex(serverSends(s, FRAG_END)), toHex(concat(FRAG_END, GOODBYE)));
  });

  it("closes between fragments when a message stays open for the whole grace", async () => {
    const { host, plugin } = await setup();
    const s = openWebsocket(plugin, { service: "messages", connectionId: 7 });
    controlRequest(plugin, "POST", "/drain-signal/start");
    serverSends(s, FRAG_START);
    host.advance(signalOffsetMs(7, WINDOW) + GRACE);
    assert.equal(toHex(serverSends(s, PING)), toHex(concat(PING, CLOSE_1001)));
    assert.equal(serverSends(s, FRAG_END).length, 0);
    assert.equal(stat(host, "signalled"), 1);
  });

  it("watches permessage-deflate frames (RSV1) and adds an uncompressed signal after them", async () => {
    const { host, plugin } = await setup();
    const s = openWebsocket(plugin, { service: "messages", connectionId: 8, deflate: true });
    controlRequest(plugin, "POST", "/drain-signal/start");
    host.advance(WINDOW);
    const deflated = hex("c1 03 4a 04 00");
    assert.equal(toHex(serverSends(s, deflated)), toHex(concat(deflated, GOODBYE)));
  });

  it("passes a malformed backend frame through, counts it, and never injects on that stream", async () => {
    const { host, plugin } = await setup();
    const s = openWebsocket(plugin, { service: "messages", connectionId: 9 });
    controlRequest(plugin, "POST", "/drain-signal/start");
    const reserved = hex("83 00"); // opcode 0x3 is reserved (RFC 6455 5.2)
    assert.equal(toHex(serverSends(s, reserved)), toHex(reserved));
    host.advance(WINDOW);
    assert.equal(toHex(serverSends(s, HELLO)), toHex(HELLO));
    assert.equal(stat(host, "malformed_frames"), 1);
    assert.equal(stat(host, "signalled") ?? 0, 0);
  });

  it("sends Close 1001 after the grace and drops every later server byte", async () => {
    const { host, plugin } = await setup();
    const s = openWebsocket(plugin, { service: "messages", connectionId: 12 });
    controlRequest(plugin, "POST", "/drain-signal/start");
    host.advance(WINDOW);
    assert.equal(toHex(serverSends(s, HELLO)), toHex(concat(HELLO, GOODBYE)));
    host.advance(GRACE - 1);
    assert.equal(toHex(serverSends(s, HELLO)), toHex(HELLO));
    host.advance(1);
    assert.equal(toHex(serverSends(s, HELLO)), toHex(concat(HELLO, CLOSE_1001)));
    assert.equal(serverSends(s, HELLO).length, 0);
    assert.equal(stat(host, "grace_close"), 1);
  });

  it("signals a websocket opened during the drain at its first server frame once its moment has passed", async () => {
    const { host, plugin } = await setup();
    controlRequest(plugin, "POST", "/drain-signal/start");
    host.advance(WINDOW);
    const late = openWebsocket(plugin, { service: "messages", worker: 1, connectionId: 77 });
    assert.equal(toHex(serverSends(late, HELLO)), toHex(concat(HELLO, GOODBYE)));
  });

  it("leaves a websocket untouched when no drain runs", async () => {
    const { host, plugin } = await setup();
    const s = openWebsocket(plugin, { service: "messages", connectionId: 13 });
    host.advance(60000);
    assert.equal(toHex(serverSends(s, HELLO)), toHex(HELLO));
    assert.equal(stat(host, "state"), 0);
  });
});

describe("drain-signal hard deadline", { skip }, () => {
  it("resets, at the deadline, every stream that had no server traffic, on each worker, counted as forced_close", async () => {
    const { host, plugin } = await setup();
    const quiet = [0, 1].map((worker) => openWebsocket(plugin, { service: "presence", worker, connectionId: 30 + worker }));
    controlRequest(plugin, "POST", "/drain-signal/start");
    host.advance(DEADLINE - TICK);
    assert.deepEqual(quiet.map((s) => s.closed), [false, false]);
    assert.equal(stat(host, "state"), 2);
    host.advance(TICK);
    assert.deepEqual(quiet.map((s) => s.closed), [true, true]);
    assert.equal(stat(host, "forced_close"), 2);
    assert.equal(stat(host, "unsignalled"), 0);
    assert.equal(stat(host, "state"), 3);
    for (const s of quiet) s.complete();
    assert.equal(stat(host, "unsignalled"), 0);
  });
});

describe("drain-signal Envoy drain detection", { skip }, () => {
  const admin = { admin: { cluster: "envoy_admin", poll_ms: 500, timeout_ms: 200 } };

  it("polls Envoy's admin stats from one worker per period and starts one drain when a listener drains", async () => {
    const { host, plugin } = await setup(admin);
    const s = openWebsocket(plugin, { service: "messages", worker: 1, connectionId: 40 });
    host.advance(TICK);
    let calls = host.pendingCallouts();
    assert.equal(calls.length, 1, "one poll for two workers");
    assert.equal(calls[0].cluster, "envoy_admin");
    assert.deepEqual(calls[0].headers.find(([k]) => k === ":path"),
      [":path", "/stats?filter=%5E%28listener_manager%5C.%28total_listeners_draining%7Clistener_stopped%29%7Cserver%5C.%28state%7Chot_restart_epoch%29%29%24"]);
    calls[0].respond({ headers: [[":status", "200"]], body: "listener_manager.total_listeners_draining: 0\nserver.state: 0\n" });
    assert.equal(sharedState(host), "drain-signal v1");
    host.advance(400);
    assert.equal(host.pendingCallouts().length, 0, "no second poll inside the period");
    host.advance(100);
    calls = host.pendingCallouts();
    assert.equal(calls.length, 1);
    calls[0].respond({ headers: [[":status", "200"]], body: "listener_manager.total_listeners_draining: 1\nserver.state: 0\n" });
    const started = EPOCH_MS + 600;
    assert.equal(sharedState(host), `drain-signal v1\n* 1 ${started} ${WINDOW} ${GRACE} ${DEADLINE} active envoy-shutdown`);
    host.advance(WINDOW);
    assert.equal(toHex(serverSends(s, HELLO)), toHex(concat(HELLO, GOODBYE)));
    // Still draining at the next poll: the drain is not restarted.
    for (const c of host.pendingCallouts()) c.respond({ headers: [[":status", "200"]], body: "listener_manager.total_listeners_draining: 1\nserver.state: 1\n" });
    assert.match(sharedState(host)!, new RegExp(`\\* 1 ${started} `));
  });

  it("starts a drain when server.state is DRAINING (after /healthcheck/fail)", async () => {
    const { host } = await setup(admin);
    host.advance(TICK);
    host.pendingCallouts()[0].respond({ headers: [[":status", "200"]], body: "listener_manager.total_listeners_draining: 0\nserver.state: 1\n" });
    assert.match(sharedState(host)!, / active envoy$/);
  });

  it("starts a drain when a newer hot restart epoch answers the admin with this process's listeners stopped", async () => {
    const { host } = await setup(admin);
    host.advance(TICK);
    host.pendingCallouts()[0].respond({ headers: [[":status", "200"]], body: "listener_manager.listener_stopped: 0\nserver.state: 0\nserver.hot_restart_epoch: 3\n" });
    host.advance(500);
    for (const c of host.pendingCallouts()) c.respond({ headers: [[":status", "200"]], body: "listener_manager.listener_stopped: 0\nserver.state: 0\nserver.hot_restart_epoch: 3\n" });
    assert.equal(sharedState(host), "drain-signal v1", "the same epoch: nothing");
    host.advance(500);
    for (const c of host.pendingCallouts()) c.respond({ headers: [[":status", "200"]], body: "listener_manager.listener_stopped: 0\nserver.state: 0\nserver.hot_restart_epoch: 4\n" });
    assert.equal(sharedState(host), "drain-signal v1", "the child answers, but this process still accepts: not yet");
    host.advance(500);
    for (const c of host.pendingCallouts()) c.respond({ headers: [[":status", "200"]], body: "listener_manager.listener_stopped: 1\nserver.state: 0\nserver.hot_restart_epoch: 4\n" });
    assert.match(sharedState(host)!, / active envoy-shutdown$/, "the parent of a hot restart, its listeners stopped, is going away");
  });

  it("does not drain a hot restart child on its parent's imported listener_stopped", async () => {
    const { host } = await setup(admin);
    for (let i = 0; i < 3; i++) {
      host.advance(i === 0 ? TICK : 500);
      for (const c of host.pendingCallouts()) c.respond({ headers: [[":status", "200"]], body: "listener_manager.listener_stopped: 1\nserver.state: 0\nserver.hot_restart_epoch: 1\n" });
    }
    assert.equal(sharedState(host), "drain-signal v1");
  });

  it("keeps an operator's cancel of an Envoy-started drain", async () => {
    const { host, plugin } = await setup(admin);
    host.advance(TICK);
    host.pendingCallouts()[0].respond({ headers: [[":status", "200"]], body: "server.state: 1\n" });
    assert.equal(JSON.parse(controlRequest(plugin, "POST", "/drain-signal/cancel").body).action, "cancelled");
    host.advance(500);
    for (const c of host.pendingCallouts()) c.respond({ headers: [[":status", "200"]], body: "server.state: 1\n" });
    assert.match(sharedState(host)!, / cancelled envoy$/);
  });

  it("signals again at shutdown (listeners stopped) after an operator cancelled the health-check drain", async () => {
    const { host, plugin } = await setup(admin);
    const s = openWebsocket(plugin, { service: "apps", connectionId: 9 });
    host.advance(TICK);
    host.pendingCallouts()[0].respond({ headers: [[":status", "200"]], body: "listener_manager.listener_stopped: 0\nserver.state: 1\n" });
    assert.equal(JSON.parse(controlRequest(plugin, "POST", "/drain-signal/cancel").body).action, "cancelled");
    host.advance(500);
    for (const c of host.pendingCallouts()) c.respond({ headers: [[":status", "200"]], body: "listener_manager.listener_stopped: 1\nserver.state: 1\n" });
    assert.match(sharedState(host)!, /^\* 2 \d+ .* active envoy-shutdown$/m);
    host.advance(WINDOW);
    assert.equal(toHex(serverSends(s, PING)), toHex(concat(PING, DISCONNECT)));
    // A cancel of the shutdown drain is kept: polling does not restart it.
    assert.equal(JSON.parse(controlRequest(plugin, "POST", "/drain-signal/cancel").body).action, "cancelled");
    host.advance(500);
    for (const c of host.pendingCallouts()) c.respond({ headers: [[":status", "200"]], body: "listener_manager.listener_stopped: 1\nserver.state: 1\n" });
    assert.match(sharedState(host)!, / cancelled envoy-shutdown$/);
  });

  it("logs a failing poll once and starts nothing", async () => {
    const { host } = await setup(admin);
    host.advance(TICK);
    host.pendingCallouts()[0].respond({ headers: [[":status", "404"]], body: "" });
    host.advance(500);
    for (const c of host.pendingCallouts()) c.respond({ headers: [[":status", "404"]], body: "" });
    const warns = host.logs("warn").filter((l) => l.message.includes("admin poll"));
    assert.equal(warns.length, 1);
    assert.match(warns[0].message, /cluster "envoy_admin" answered 404/);
    assert.equal(sharedState(host), "drain-signal v1");
  });
});

describe("drain-signal configuration", { skip }, () => {
  it("refuses a bad configuration and logs the key path", async () => {
    const host = new Host({ clock: new ManualClock() });
    await assert.rejects(host.loadPlugin({
      wasm: WASM, rootId: "drain_signal", vmId: "wss",
      configuration: JSON.stringify({ services: [{ name: "apps", dialect: "rtm" }] }),
    }));
    assert.ok(host.logs("error").some((l) => l.message ===
      'drain-signal: bad configuration: services[0].dialect: "rtm" is not one of slack-rtm, socket-mode, close, custom'),
      JSON.stringify(host.logs("error")));
  });
});

describe("drain-signal per-websocket state", { skip }, () => {
  it("drains a service whose name took over the slot of a service whose websockets all closed", async () => {
    const { host, plugin } = await setup({}, 1);
    openWebsocket(plugin, { service: "team-alpha", connectionId: 40 }).complete();
    const beta = openWebsocket(plugin, { service: "team-beta", connectionId: 41 });
    const alpha = openWebsocket(plugin, { service: "team-alpha", connectionId: 42 });
    assert.equal(controlRequest(plugin, "POST", "/drain-signal/start?service=team-beta").status, 200);
    host.advance(WINDOW);
    assert.equal(toHex(serverSends(beta, HELLO)), toHex(concat(HELLO, GOODBYE, CLOSE_1001)));
    assert.equal(toHex(serverSends(alpha, HELLO)), toHex(HELLO));
  });

  it("resets at the deadline exactly the websockets still open, after first, middle and last ones closed", async () => {
    const { host, plugin } = await setup({}, 1);
    const s = [0, 1, 2, 3, 4].map((i) => openWebsocket(plugin, { service: "presence", connectionId: 50 + i }));
    for (const i of [0, 2, 4]) s[i].complete();
    assert.equal(stat(host, "unsignalled"), 2);
    controlRequest(plugin, "POST", "/drain-signal/start");
    host.advance(DEADLINE);
    assert.deepEqual([s[1].closed, s[3].closed], [true, true]);
    assert.equal(stat(host, "forced_close"), 2);
    assert.equal(stat(host, "unsignalled"), 0);
  });

  it("keeps linear memory flat over 20,000 websockets of distinct service names after warm-up", async () => {
    const { plugin } = await setup({}, 1);
    const lifecycle = (i: number) => {
      const ws = openWebsocket(plugin, { service: `svc-${i}`, connectionId: 1000 + i });
      serverSends(ws, HELLO);
      ws.complete();
    };
    for (let i = 0; i < 2000; i++) lifecycle(i);
    const warm = plugin.workers[0].memoryBytes().length;
    for (let i = 2000; i < 22000; i++) lifecycle(i);
    assert.equal(plugin.workers[0].memoryBytes().length, warm, "memory grew after warm-up: service names are not freed");
  });
});
