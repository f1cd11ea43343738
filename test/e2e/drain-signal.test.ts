// drain-signal end to end with the official Slack clients (@slack/rtm-api RTMClient and
// @slack/socket-mode SocketModeClient at their default settings, versions pinned in
// package.json) through the local gateway (ws-router + drain-signal) to the demo backends. The
// clients get their websocket URL from a loopback Slack Web API; gateway "old" drains and the API
// hands out gateway "new", as Slack hands a reconnecting client another edge.
//
// These tests assert what a client library update must not change: every client reconnects by
// itself, logs no error or warning, loses no Socket Mode envelope, and its old websocket closes
// with a Close frame (RTM: the filter's 1001 right after the goodbye; Socket Mode: its own 1000
// on the disconnect) before the grace or the deadline had to act. Timing figures are bench/drain.ts's.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import WebSocket from "ws";
import { startBackends, type Backends } from "../../envoy-test/backends/index.ts";
import { startSlackWebApi, type SlackWebApi } from "../../envoy-test/backends/slack-web-api.ts";
import { startGateway, type Gateway } from "../../envoy-test/gateway/index.ts";
import { moveOf, rtmClient, socketModeClient, startAll, waitFor, type SlackClient } from "../../bench/support/slack-clients.ts";
import { TOKEN, buildModules, freePort, topology, type TopologyOptions } from "./drain-signal-topology.ts";

const GOODBYE = '{"type":"goodbye"}';
const DISCONNECT = '{"type":"disconnect","reason":"refresh_requested"}';

let backends: Backends;
let quietBackends: Backends;
let modules: { router: string; drain: string };
const started: Gateway[] = [];

async function gateway(drain: TopologyOptions["drain"], internal: boolean): Promise<Gateway> {
  const g = await startGateway({
    workers: 2,
    log: () => {},
    config: topology({ modules, adminPort: await freePort(), endpoints: (s) => (s === "quiet" ? quietBackends : backends).endpoints(s), drain, internal }),
  });
  started.push(g);
  return g;
}

const wsUrl = (g: Gateway, path: string): string => {
  const a = g.listenerAddress("public");
  return `ws://${a.address}:${a.port}${path}`;
};
const httpUrl = (g: Gateway, path: string, listener: string): string => {
  const a = listener === "admin" ? g.adminAddress() : g.listenerAddress(listener);
  return `http://${a.address}:${a.port}${path}`;
};
const stat = (g: Gateway, name: string): number => g.stats.get(`wasmcustom.wss.drain.${name}`) ?? 0;
const operator = (g: Gateway, method: string, path: string) =>
  fetch(httpUrl(g, `/drain-signal/${path}`, "internal"), { method, headers: { "x-drain-token": TOKEN } });

before(async () => {
  modules = await buildModules();
  // The demo's own ping period (20 s) and an envelope every second per Socket Mode websocket, so
  // envelopes are in flight while the websockets move.
  backends = await startBackends({ basePort: 0, services: ["messages", "apps"], instancesPerService: 2, eventIntervalMs: 1000 });
  // Says hello and then nothing: only the hard deadline can end its streams.
  quietBackends = await startBackends({ basePort: 0, services: ["quiet"], instancesPerService: 1, pingIntervalMs: 3_600_000 });
});

after(async () => {
  await Promise.all(started.map((g) => g.close()));
  await backends?.close();
  await quietBackends?.close();
});

describe("drain-signal end to end with the official Slack clients", () => {
  it("runs the client versions whose behaviour the dialects were chosen for (package.json pins them)", () => {
    const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { devDependencies: Record<string, string> };
    for (const [name, version] of [["@slack/rtm-api", "7.0.4"], ["@slack/socket-mode", "3.1.0"]]) {
      assert.equal(pkg.devDependencies[name], version, `${name} pinned exactly`);
      const installed = (JSON.parse(readFileSync(`node_modules/${name}/package.json`, "utf8")) as { version: string }).version;
      assert.equal(installed, version, `${name} ${installed} installed: re-read its source and re-measure (docs/envoy-fidelity.md) before moving the pin`);
    }
  });

  it("moves 50 RTMClient and 50 SocketModeClient through a shutdown that follows a cancelled health-check drain", async (t) => {
    const WINDOW = 3000, GRACE = 2000, DEADLINE = 9000;
    const timing = { window_ms: WINDOW, grace_ms: GRACE, deadline_ms: DEADLINE, tick_ms: 100 };
    const old = await gateway({ ...timing, pollAdmin: true }, true);
    const next = await gateway({ ...timing, pollAdmin: false }, false);
    let target = old;
    const api: SlackWebApi = await startSlackWebApi((method, token) =>
      method === "rtm.connect" ? wsUrl(target, "/messages") : wsUrl(target, `/apps?app_id=A${token.replace(/\D/g, "")}`));
    const clients: SlackClient[] = [];
    for (let i = 0; i < 50; i++) clients.push(rtmClient(i, api.url), socketModeClient(i, api.url));
    try {
      await startAll(clients);
      assert.equal(stat(old, "unsignalled"), 100);
      target = next;

      // A deploy takes the old proxy out of rotation (/healthcheck/fail), then an operator cancels
      // the drain that started; the shutdown itself (/drain_listeners) must still signal everyone.
      const tHc = Date.now();
      assert.equal((await fetch(httpUrl(old, "/healthcheck/fail", "admin"), { method: "POST" })).status, 200);
      await waitFor("the health-check drain to start", () => stat(old, "state") > 0, 3000);
      assert.equal(((await (await operator(old, "POST", "cancel")).json()) as { action: string }).action, "cancelled");
      await waitFor("the cancel to reach every worker", () => stat(old, "state") === 0, 2000);
      const movedEarly = stat(old, "signalled");

      const tStop = Date.now();
      assert.equal((await fetch(httpUrl(old, "/drain_listeners?inboundonly", "admin"), { method: "POST" })).status, 200);
      await waitFor("the shutdown drain to start", () => stat(old, "state") > 0, 3000);
      // The operator listener (OUTBOUND) still answers while the public one is stopped.
      const status = await operator(old, "GET", "status");
      assert.equal(status.status, 200);
      const drains = ((await status.json()) as { drains: { source: string; cancelled: boolean }[] }).drains;
      assert.deepEqual(drains.map((d) => [d.source, d.cancelled]), [["envoy-shutdown", false]]);
      await assert.rejects(fetch(httpUrl(old, "/messages", "public")), "the public listener is stopped");

      const moved = (c: SlackClient): boolean => c.rec.connections.length >= 2 && c.rec.connections[0].closedAt > 0 && c.current() !== null;
      await waitFor("every client to reconnect to the new gateway", () => clients.every(moved), WINDOW + 15000,
        () => `${clients.filter(moved).length} of 100 moved; old gateway ${JSON.stringify({ signalled: stat(old, "signalled"), unsignalled: stat(old, "unsignalled") })}`);
      const settled = Date.now();

      assert.deepEqual(clients.flatMap((c) => c.rec.errors.map((e) => `${c.rec.kind} ${c.rec.index}: ${e}`)), [], "no client logged an error or warning");
      for (const c of clients) {
        const m = moveOf(c.rec, tHc)!;
        const who = `${c.rec.kind} ${c.rec.index}`;
        assert.equal(c.rec.connections.length, 2, `${who}: one reconnect`);
        assert.ok(m.newReadyAt > m.oldClosedAt, `${who}: the new websocket came after the old one closed`);
        if (c.rec.kind === "rtm") {
          assert.equal(m.signal, GOODBYE, who);
          assert.equal(m.oldCloseCode, 1001, `${who}: the filter's Close right after the goodbye`);
        } else {
          assert.equal(m.signal, DISCONNECT, who);
          assert.equal(m.oldCloseCode, 1000, `${who}: SocketModeClient closes on the disconnect itself`);
        }
      }
      assert.equal(stat(old, "signalled"), 100);
      assert.ok(stat(old, "signalled") - movedEarly > 0, "the shutdown signalled the websockets the cancelled drain had not");
      assert.equal(stat(old, "grace_close"), 0, "no client needed the Close after the grace");
      assert.equal(stat(old, "unsignalled"), 0);
      assert.equal(stat(old, "forced_close"), 0, "no reset at the deadline");
      assert.equal(stat(next, "unsignalled"), 100);

      // No envelope lost: everything sent before the move settled was acknowledged by a client.
      const apps = backends.envelopes.apps;
      await waitFor("every envelope to be acknowledged", () => apps.unackedSince(settled).length === 0, 3000,
        () => `${apps.unackedSince(settled).length} unacknowledged`);
      const clientAcks = new Set(clients.flatMap((c) => c.rec.acked));
      assert.ok(apps.acked.length > 100, "envelopes flowed during the drain");
      assert.deepEqual(apps.acked.filter((id) => !clientAcks.has(id)), [], "every ack came from an official client");
      t.diagnostic(`${movedEarly} moved before the cancel, ${100 - movedEarly} at the shutdown ` +
        `(${((settled - tStop) / 1000).toFixed(1)} s); envelopes acknowledged ${apps.acked.length}, redelivered ${apps.redelivered}`);
    } finally {
      await Promise.all(clients.map((c) => c.stop()));
      await api.close();
    }
  });

  it("resets at the hard deadline only the websockets whose server never sent a frame to carry the signal", async () => {
    const WINDOW = 1000, GRACE = 500, DEADLINE = 2500;
    const old = await gateway({ window_ms: WINDOW, grace_ms: GRACE, deadline_ms: DEADLINE, tick_ms: 100, pollAdmin: false }, true);
    const quiet = await Promise.all(Array.from({ length: 10 }, () => new Promise<{ ws: WebSocket; code: Promise<number> }>((resolve, reject) => {
      const ws = new WebSocket(wsUrl(old, "/quiet"));
      const code = new Promise<number>((r) => ws.once("close", (c) => r(c)));
      ws.once("message", () => resolve({ ws, code }));
      ws.once("error", reject);
    })));
    const res = await operator(old, "POST", `start?window_ms=${WINDOW}`);
    const start = ((await res.json()) as { drain: { started_at_ms: number } }).drain.started_at_ms;
    const codes = await Promise.all(quiet.map((q) => q.code));
    assert.ok(Date.now() >= start + DEADLINE, "not before the deadline");
    assert.deepEqual(codes, new Array(10).fill(1006), "reset without a Close frame");
    await waitFor("the stats to settle", () => stat(old, "forced_close") === 10, 2000);
    assert.equal(stat(old, "signalled"), 0);
  });

  it("Socket Mode: the backend's disconnect reasons move the official client, and an unacknowledged envelope is redelivered to it", async () => {
    const inst = backends.instances.apps[0];
    const direct = `ws://${inst.address.address}:${inst.address.port}/apps?app_id=A900`;
    // A websocket of app A900 that never acknowledges: its envelope waits for the app's next one.
    const silent = new WebSocket(direct);
    const first = await new Promise<string>((resolve) => silent.on("message", (d) => {
      const m = JSON.parse(d.toString()) as { type: string; envelope_id?: string };
      if (m.type === "events_api") resolve(m.envelope_id!);
    }));
    silent.close();
    await new Promise((r) => silent.once("close", r));
    const api = await startSlackWebApi(() => direct);
    const c = socketModeClient(900, api.url);
    try {
      await c.start();
      await waitFor("the redelivered envelope to be acknowledged", () => c.rec.acked.includes(first), 3000);
      for (const reason of ["warning", "refresh_requested", "link_disabled"]) {
        const n = c.rec.connections.length;
        const r = await fetch(`http://${inst.address.address}:${inst.address.port}/ops/disconnect?reason=${reason}`, { method: "POST" });
        assert.equal(r.status, 200);
        // SocketModeClient 3.x treats every reason alike: close (1000), reconnect 5 s later.
        await waitFor(`a reconnect after ${reason}`, () => c.rec.connections.length === n + 1 && c.current() !== null, 9000);
        assert.equal(c.rec.connections[n - 1].closeCode, 1000);
        assert.match(c.rec.connections[n - 1].signal ?? "", new RegExp(`"reason":"${reason}"`));
      }
      assert.deepEqual(c.rec.errors, []);
      assert.equal((await fetch(`http://${inst.address.address}:${inst.address.port}/ops/disconnect?reason=soon`, { method: "POST" })).status, 400);
    } finally {
      await c.stop();
      await api.close();
    }
  });
});
