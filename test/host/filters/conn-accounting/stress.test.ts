// conn-accounting under thousands of interleaved opens, upgrades, failures, closes, resets and
// aborts on three worker VMs, checked after every step against a model: shared counts equal
// the admitted streams, gauges equal the upgraded ones, limits are never exceeded, and
// everything ends exactly at zero. The schedule comes from a seeded PRNG (replay by seed).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Host, ManualClock, type HttpStream } from "../../../../envoy-test/host/index.ts";
import { ensureBuilt, VM_ID, upgrade, SWITCHING, stat, sharedCount, prng, CLIENT_HELLO, SERVER_HELLO } from "../../../../bench/support/conn-accounting.ts";

const CONFIG = JSON.stringify({
  limit_key_header: "x-slack-user",
  services: [
    { name: "messages", max_active: 25, max_active_per_key: 4 },
    { name: "presence", max_active: 10 },
    { name: "apps" },
  ],
});
const LIMIT: Record<string, number> = { messages: 25, presence: 10, apps: Infinity, unknown: Infinity };
const PER_KEY: Record<string, number> = { messages: 4 };
const SERVICES = ["messages", "presence", "apps", null] as const;
const USERS = ["U0", "U1", "U2", "U3", "U4", "U5", "U6", "U7"];
const WORKERS = 3;

interface Live { s: HttpStream; service: string; user: string; upgraded: boolean }

for (const seed of [1, 2, 3]) {
  test(`seed ${seed}: 6,000 interleaved lifecycles on ${WORKERS} workers keep counts exact and within limits`, async () => {
    const wasm = await ensureBuilt();
    const host = new Host({ clock: new ManualClock() });
    const plugin = await host.loadPlugin({ wasm, rootId: "conn_accounting", vmId: VM_ID, configuration: CONFIG, workers: WORKERS });
    const rnd = prng(seed);
    const pick = <T,>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)];
    const live: Live[] = [];
    let admitted = 0, rejected = 0, upgradedTotal = 0;

    const check = (step: number) => {
      for (const svc of ["messages", "presence", "apps", "unknown"]) {
        const held = live.filter((l) => l.service === svc);
        const shared = sharedCount(host, `wss.cx.${svc}`);
        assert.equal(shared, held.length, `step ${step}: wss.cx.${svc}`);
        assert.ok(shared <= LIMIT[svc], `step ${step}: ${svc} over its limit`);
        const gauge = stat(host, `wss.${svc}.cx_active`);
        assert.equal(gauge, held.filter((l) => l.upgraded).length, `step ${step}: wss.${svc}.cx_active`);
        assert.ok(gauge >= 0);
      }
    };

    for (let step = 0; step < 6000; step++) {
      const r = rnd();
      if (r < 0.45 || live.length === 0) {
        const service = pick(SERVICES);
        const name = service ?? "unknown";
        const user = pick(USERS);
        const s = plugin.createHttpStream({ worker: Math.floor(rnd() * WORKERS) });
        s.callOnRequestHeaders(upgrade(service, [["x-slack-user", user]]), false);
        const held = live.filter((l) => l.service === name);
        const perKey = PER_KEY[name];
        const expectAdmit = held.length < LIMIT[name] &&
          (perKey === undefined || held.filter((l) => l.user === user).length < perKey);
        if (expectAdmit) {
          assert.equal(s.localResponse, null, `step ${step}: ${name} ${user} should be admitted`);
          live.push({ s, service: name, user, upgraded: false });
          admitted++;
        } else {
          assert.equal(s.localResponse?.status, 503, `step ${step}: ${name} ${user} should be rejected`);
          rejected++;
          if (rnd() < 0.5) s.callOnResponseHeaders([[":status", "503"]], false);
          s.complete();
        }
      } else {
        const i = Math.floor(rnd() * live.length);
        const l = live[i];
        const a = rnd();
        if (!l.upgraded && a < 0.6) {
          l.s.callOnResponseHeaders(SWITCHING, false);
          l.upgraded = true;
          upgradedTotal++;
        } else if (!l.upgraded && a < 0.8) {
          l.s.callOnResponseHeaders([[":status", pick(["503", "404", "502"])]], true); // upstream failure
          l.s.complete();
          live.splice(i, 1);
        } else if (l.upgraded && a < 0.5) {
          l.s.callOnRequestBody(CLIENT_HELLO, false);
          l.s.callOnResponseBody(SERVER_HELLO, false);
        } else {
          // client abort, reset, or a clean close (end of stream both ways) then the end callbacks
          if (l.upgraded && a < 0.9) { l.s.callOnRequestBody(new Uint8Array(0), true); l.s.callOnResponseBody(new Uint8Array(0), true); }
          l.s.complete();
          live.splice(i, 1);
        }
      }
      check(step);
    }
    while (live.length) live.pop()!.s.complete();
    check(-1);
    for (const svc of ["messages", "presence", "apps", "unknown"]) {
      assert.equal(sharedCount(host, `wss.cx.${svc}`), 0);
      assert.equal(stat(host, `wss.${svc}.cx_active`), 0);
    }
    const keys = [...host.sharedData(VM_ID).keys()].filter((k) => k.includes(".key."));
    for (const k of keys) assert.equal(sharedCount(host, k), 0, `${k} back to 0`);
    const total = ["messages", "presence", "apps", "unknown"].reduce((n, s) => n + stat(host, `wss.${s}.cx_total`), 0);
    const rej = ["messages", "presence", "apps", "unknown"].reduce((n, s) => n + stat(host, `wss.${s}.cx_rejected`), 0);
    assert.equal(total, upgradedTotal);
    assert.equal(rej, rejected);
    assert.ok(rejected > 100 && admitted > 1000, `the schedule exercised the limits (admitted ${admitted}, rejected ${rejected})`);
  });
}
