// drain-signal end to end: real `ws` clients through the local gateway (ws-router + drain-signal,
// HCM websocket upgrades) to demo backends. Gateway "old" drains; every client is asked to
// reconnect at its own moment in the window and moves to gateway "new" (the new Envoy process).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { startBackends, type Backends } from "../../envoy-test/backends/index.ts";
import { startGateway, type Gateway } from "../../envoy-test/gateway/index.ts";
import { DrainClient, flatness, openAll, waitFor, type Behaviour } from "./drain-signal-clients.ts";
import { TOKEN, buildModules, freePort, topology, type TopologyOptions } from "./drain-signal-topology.ts";

const GOODBYE = '{"type":"goodbye"}';
const DISCONNECT = '{"type":"disconnect","reason":"refresh_requested"}';

let backends: Backends;
let quietBackends: Backends;
let modules: { router: string; drain: string };
let next: Gateway;
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

const url = (g: Gateway, path: string, listener = "public"): string => {
  const a = g.listenerAddress(listener);
  return `ws://${a.address}:${a.port}${path}`;
};
const httpUrl = (g: Gateway, path: string, listener: string): string => {
  const a = listener === "admin" ? g.adminAddress() : g.listenerAddress(listener);
  return `http://${a.address}:${a.port}${path}`;
};
const stat = (g: Gateway, name: string): number => g.stats.get(`wasmcustom.wss.drain.${name}`) ?? 0;

function progress(clients: DrainClient[]): string {
  const r = clients.map((c) => c.rec);
  return `${r.filter((x) => x.signalAt > 0).length} signalled, ${r.filter((x) => x.oldClosedAt > 0).length} old closed, ` +
    `${r.filter((x) => x.reconnectedAt > 0).length} reconnected, ${r.filter((x) => x.errors.length > 0).length} with errors ` +
    `(first: ${r.find((x) => x.errors.length > 0)?.errors[0] ?? "none"})`;
}

function drainStats(g: Gateway): Record<string, number> {
  return Object.fromEntries(["signalled", "unsignalled", "forced_close", "grace_close", "malformed_frames", "state"].map((n) => [n, stat(g, n)]));
}

/** The all-services drain entry the filter wrote in shared data: its start (epoch ms). */
function drainStart(g: Gateway): number {
  const v = g.host.sharedData("wss").get("drain_signal.state");
  const line = v ? Buffer.from(v.value).toString("utf8").split("\n").find((l) => l.startsWith("* ")) : undefined;
  if (!line) throw new Error("no all-services drain in shared data");
  return Number(line.split(" ")[2]);
}

before(async () => {
  modules = await buildModules();
  // Pings every second: every stream has server->client frames, so every one can be signalled
  // within a second of its moment.
  backends = await startBackends({ basePort: 0, services: ["messages", "apps"], instancesPerService: 2, pingIntervalMs: 1000, eventIntervalMs: 0 });
  // A service that says hello and then nothing (pings once an hour): its streams carry no
  // server->client frame during the drain, so only the hard deadline can end them.
  quietBackends = await startBackends({ basePort: 0, services: ["quiet"], instancesPerService: 1, pingIntervalMs: 3_600_000 });
  next = await gateway({ window_ms: 4000, grace_ms: 2000, deadline_ms: 7000, tick_ms: 100, pollAdmin: false }, false);
});

after(async () => {
  await Promise.all(started.map((g) => g.close()));
  await backends?.close();
  await quietBackends?.close();
});

describe("drain-signal end to end", () => {
  it("moves 1,000 websockets to the new gateway, spread over the window, when the old one fails health checks", async (t) => {
    // 10 s for 1,000 clients: 100 reconnects per second, about what this gateway (one Node
    // process on a shared 2-core machine) accepts without queueing; at 250 per second its
    // handshakes queue for seconds and the measured rate shows that queue, not the filter.
    const WINDOW = 10000, GRACE = 3000, DEADLINE = 14000;
    const old = await gateway({ window_ms: WINDOW, grace_ms: GRACE, deadline_ms: DEADLINE, tick_ms: 100, pollAdmin: true }, false);
    const clients: DrainClient[] = [];
    for (let i = 0; i < 1000; i++) {
      const service = i % 10 < 7 ? "messages" : "apps";
      clients.push(new DrainClient(url(old, `/${service}`), url(next, `/${service}`), service, "eager"));
    }
    try {
      await openAll(clients);
      assert.equal(stat(old, "unsignalled"), 1000);

      // Envoy's drain trigger: POST /healthcheck/fail moves server.state to DRAINING; the filter's
      // admin poll (every 200 ms, one worker) sees it and starts the drain.
      const lag = monitorEventLoopDelay({ resolution: 10 }); lag.enable();
      const res = await fetch(httpUrl(old, "/healthcheck/fail", "admin"), { method: "POST" });
      assert.equal(res.status, 200);
      await waitFor("the drain to start", () => stat(old, "state") > 0, 3000);
      const start = drainStart(old);

      await waitFor("every client to reconnect", () => clients.every((c) => c.rec.reconnectedAt > 0), WINDOW + 20000)
        .catch((e: Error) => { throw new Error(`${e.message}: ${progress(clients)}; old gateway stats ${JSON.stringify(drainStats(old))}`); });
      await waitFor("the old gateway to have no websocket left", () => stat(old, "unsignalled") === 0 && clients.every((c) => c.rec.oldClosedAt > 0), 3000);

      const recs = clients.map((c) => c.rec);
      assert.deepEqual(recs.filter((r) => r.errors.length > 0).map((r) => r.errors), [], "no client saw a protocol error");
      for (const r of recs) assert.equal(r.signal, r.service === "apps" ? DISCONNECT : GOODBYE);
      // Inside the window: a signal waits for the filter's next tick (100 ms) and the stream's
      // next server frame (pings every second); 1.5 s covers both with room for a loaded machine.
      const late = recs.filter((r) => r.signalAt < start || r.signalAt > start + WINDOW + 1500);
      assert.equal(late.length, 0, `signals outside [start, start + window + 1.5 s]: ${late.slice(0, 5).map((r) => r.signalAt - start)}`);
      assert.equal(stat(old, "signalled"), 1000);
      assert.equal(stat(old, "forced_close"), 0, "every client left on its own before the deadline");
      assert.ok(recs.every((r) => r.oldCloseCode === 1000 || r.oldCloseCode === 1005), "old connections closed cleanly by the clients");

      lag.disable();
      t.diagnostic(`event loop delay during the drain: p50 ${(lag.percentile(50) / 1e6).toFixed(0)} ms, p99 ${(lag.percentile(99) / 1e6).toFixed(0)} ms, max ${(lag.max / 1e6).toFixed(0)} ms`);
      const lat = recs.map((r) => r.reconnectedAt - r.signalAt).sort((a, b) => a - b);
      t.diagnostic(`signal -> hello from the new gateway: p50 ${lat[lat.length >> 1]} ms, p90 ${lat[Math.floor(lat.length * 0.9)]} ms, max ${lat[lat.length - 1]} ms`);
      // Per second from the drain start to the last event. The first second is short by the
      // signal latency (next tick, next server frame), so only the peak is compared to the mean.
      const signals = flatness(recs.map((r) => r.signalAt), start, 1000);
      const reconnects = flatness(recs.map((r) => r.reconnectedAt), start, 1000);
      t.diagnostic(`signals per second: [${signals.bins.join(", ")}]; peak/mean ${signals.ratio.toFixed(2)}`);
      t.diagnostic(`reconnects per second: [${reconnects.bins.join(", ")}]; peak/mean ${reconnects.ratio.toFixed(2)}`);
      // The target, peak <= 1.5x mean, is a speed figure: bench/ reports it (npm run bench), and
      // the spread itself is asserted exactly on the filter's schedule in
      // test/unit/drain-signal/schedule.spec.ts. Here both rates also carry this process's
      // scheduling delays (1,000 clients, two gateways and four backends share one event loop on
      // a shared machine), so the bounds only catch a burst: signals sent all at once give
      // peak/mean = the window in seconds (10).
      assert.ok(signals.ratio <= 3, `signals per second peak/mean ${signals.ratio.toFixed(2)} > 3: signals came in a burst`);
      assert.ok(reconnects.ratio <= 5, `reconnects per second peak/mean ${reconnects.ratio.toFixed(2)} > 5: reconnects came in a burst`);

      // At the deadline nothing is left on the old gateway.
      await waitFor("the hard deadline", () => Date.now() >= start + DEADLINE + 300, DEADLINE + 1000);
      assert.equal(stat(old, "state"), 3);
      assert.equal(stat(old, "unsignalled"), 0);
      assert.equal(stat(old, "forced_close"), 0);
    } finally {
      for (const c of clients) c.close();
    }
  });

  it("moves clients that follow Slack's RTM and Socket Mode behaviour, drained by an operator request", async (t) => {
    const WINDOW = 2000, GRACE = 1000, DEADLINE = 5000;
    const old = await gateway({ window_ms: WINDOW, grace_ms: GRACE, deadline_ms: DEADLINE, tick_ms: 100, pollAdmin: false }, true);
    const clients: DrainClient[] = [];
    for (let i = 0; i < 200; i++) {
      const [service, behaviour]: [string, Behaviour] = i % 2 === 0 ? ["messages", "rtm"] : ["apps", "socket-mode"];
      clients.push(new DrainClient(url(old, `/${service}`), url(next, `/${service}`), service, behaviour));
    }
    const quiet = Array.from({ length: 10 }, () => new DrainClient(url(old, "/quiet"), url(next, "/quiet"), "quiet", "rtm"));
    try {
      await openAll([...clients, ...quiet]);
      // A wrong token changes nothing.
      const denied = await fetch(httpUrl(old, "/drain-signal/start", "internal"), { method: "POST", headers: { "x-drain-token": "not-the-token-0000" } });
      assert.equal(denied.status, 403);
      assert.equal(stat(old, "state"), 0);

      const res = await fetch(httpUrl(old, `/drain-signal/start?window_ms=${WINDOW}`, "internal"), { method: "POST", headers: { "x-drain-token": TOKEN } });
      assert.equal(res.status, 200);
      const body = await res.json() as { action: string; drain: { started_at_ms: number; window_ms: number; grace_ms: number; deadline_ms: number } };
      assert.equal(body.action, "started");
      assert.deepEqual([body.drain.window_ms, body.drain.grace_ms, body.drain.deadline_ms], [WINDOW, GRACE, DEADLINE]);
      const start = body.drain.started_at_ms;

      await waitFor("every client to reconnect", () => clients.every((c) => c.rec.reconnectedAt > 0), WINDOW + GRACE + 4000);
      await waitFor("the old connections to close", () => clients.every((c) => c.rec.oldClosedAt > 0), 3000);
      const recs = clients.map((c) => c.rec);
      assert.deepEqual(recs.filter((r) => r.errors.length > 0).map((r) => r.errors), [], "no client saw a protocol error");

      const rtm = recs.filter((r) => r.behaviour === "rtm");
      for (const r of rtm) {
        assert.equal(r.signal, GOODBYE);
        // RTMClient waits for the server to close: Close 1001 one grace after the goodbye.
        assert.equal(r.oldCloseCode, 1001);
        assert.ok(r.oldClosedAt - r.signalAt >= GRACE - 50, `closed ${r.oldClosedAt - r.signalAt} ms after goodbye`);
        assert.ok(r.reconnectedAt >= r.oldClosedAt, "RTM reconnects after the close");
      }
      const sm = recs.filter((r) => r.behaviour === "socket-mode");
      for (const r of sm) {
        assert.equal(r.signal, DISCONNECT);
        assert.ok(r.reconnectedAt <= r.oldClosedAt, "Socket Mode opens the new connection before dropping the old one");
      }
      const late = recs.filter((r) => r.signalAt < start || r.signalAt > start + WINDOW + 1500);
      assert.equal(late.length, 0, `signals outside the window: ${late.slice(0, 5).map((r) => r.signalAt - start)}`);
      t.diagnostic(`rtm: ${rtm.length} reconnected after Close 1001; socket-mode: ${sm.length} switched before closing`);

      // The quiet streams never carried a frame to put the signal after: still open until the
      // hard deadline, then reset by the root (no Close frame: the TCP connection drops).
      await waitFor("the quiet streams to be reset at the deadline", () => quiet.every((c) => c.rec.oldClosedAt > 0), DEADLINE + 3000);
      for (const q of quiet.map((c) => c.rec)) {
        assert.equal(q.signalAt, 0, "no frame to carry the signal");
        assert.equal(q.oldCloseCode, 1006, "reset without a Close frame");
        assert.ok(q.oldClosedAt >= start + DEADLINE, `reset ${q.oldClosedAt - start} ms after the start, before the deadline`);
      }
      await waitFor("the stats to settle", () => stat(old, "forced_close") === 10, 2000);
      assert.equal(stat(old, "signalled"), 200);
      assert.equal(stat(old, "grace_close"), 100, "the RTM clients waited for the Close");
      assert.equal(stat(old, "unsignalled"), 0);
      assert.equal(stat(old, "forced_close"), 10, "only the quiet streams were reset");
    } finally {
      for (const c of [...clients, ...quiet]) c.close();
    }
  });
});
