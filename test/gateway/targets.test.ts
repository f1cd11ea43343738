import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, test } from "node:test";
import { startBackends, type Backends } from "../../envoy-test/backends/index.ts";
import { buildFilters } from "../../envoy-test/build.ts";
import { defaultTopology, DEV_DRAIN_TOKEN, SERVICES } from "../../envoy-test/config/index.ts";
import { containerTopology, ENVOY_IMAGE } from "../../envoy-test/container/index.ts";
import { e2eTarget, envoySkipReason, NoContainerRuntimeError, startProxy, type ProxyUnderTest } from "../e2e/envoy-target.ts";
import { openClient } from "./support.ts";

test("E2E_TARGET defaults to the local gateway and accepts gateway or envoy only", () => {
  assert.equal(e2eTarget({}), "gateway");
  assert.equal(e2eTarget({ E2E_TARGET: "gateway" }), "gateway");
  assert.equal(e2eTarget({ E2E_TARGET: "envoy" }), "envoy");
  assert.throws(() => e2eTarget({ E2E_TARGET: "docker" }), { message: 'E2E_TARGET="docker": expected "gateway" (the local gateway, default) or "envoy" (real Envoy in a container)' });
});

test("under the gateway target the Envoy-only tests are skipped with a one-line reason", async () => {
  const reason = await envoySkipReason({});
  assert.equal(typeof reason, "string");
  assert.doesNotMatch(reason as string, /\n/);
  assert.match(reason as string, /^real Envoy target skipped: /);
});

test("the Envoy image is pinned once, to a v1.40 tag of envoyproxy/envoy", () => {
  assert.match(ENVOY_IMAGE, /^envoyproxy\/envoy:v1\.40-/);
});

test("E2E_TARGET=envoy without a container runtime fails with a message that says what to do", async (t) => {
  let reason: string | false;
  try {
    reason = await envoySkipReason({ E2E_TARGET: "envoy" });
  } catch (e) {
    assert.ok(e instanceof NoContainerRuntimeError);
    assert.match((e as Error).message, /^E2E_TARGET=envoy needs a container runtime, and none answers \(testcontainers: "Could not find a working container runtime strategy"\)\. Start Docker or Podman/);
    return;
  }
  t.skip(`a container runtime answers here (skip reason ${JSON.stringify(reason)}): the no-runtime message cannot be observed`);
});

const freePort = (): Promise<number> => new Promise((resolve, reject) => {
  const s = net.createServer();
  s.once("error", reject);
  s.listen(0, "127.0.0.1", () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
});

describe(`the default topology (all three filters) on the ${e2eTarget()} target`, () => {
  let backends: Backends;
  let proxy: ProxyUnderTest;

  before(async () => {
    await buildFilters(["ws-router", "conn-accounting", "drain-signal"]);
    backends = await startBackends({ basePort: 0 });
    const backendPorts = Object.fromEntries(SERVICES.map((s) => [s, backends.endpoints(s).map((e) => e.port)]));
    const [pub, op, admin] = [await freePort(), await freePort(), await freePort()];
    proxy = await startProxy({
      backendPorts: Object.values(backendPorts).flat(),
      wasmFiles: ["build/ws-router.wasm", "build/conn-accounting.wasm", "build/drain-signal.wasm"],
      config: (env) => env.target === "envoy"
        ? containerTopology({ backendHost: env.backendHost, backendPorts })
        : defaultTopology({
          wasmDir: env.wasmDir, backendHost: env.backendHost, backendPorts,
          listen: { host: env.bindHost, port: pub }, operator: { host: env.bindHost, port: op }, admin: { host: env.bindHost, port: admin },
        }).build(),
    });
  });

  after(async () => {
    await proxy?.close();
    await backends?.close();
  });

  for (const service of SERVICES) {
    test(`a websocket to /${service} reaches a ${service} backend and echoes`, async () => {
      const c = await openClient(proxy.url("public", `/${service}`));
      assert.equal(c.hello().service, service);
      await c.echo(`hello ${service}`);
      c.close();
      await c.closed;
    });
  }

  test("a plain HTTP request is answered 404 by ws-router", async () => {
    const r = await fetch(proxy.url("public", "/messages", "http"));
    assert.equal(r.status, 404);
  });

  test("the network wasm filter saw the connections before the HCM (conn-accounting's tcp root)", async () => {
    const tcp = await proxy.stats("^wasmcustom\\.wss\\.tcp\\.public\\.");
    assert.ok([...tcp.values()].some((v) => v > 0), `tcp root stats: ${JSON.stringify([...tcp])}`);
  });

  test("drain-signal's admin poll goes out as a callout to the admin cluster's endpoint", async () => {
    let seen = 0;
    for (let i = 0; i < 100 && seen === 0; i++) {
      seen = (await proxy.stats("^cluster\\.admin\\.upstream_rq_total$")).get("cluster.admin.upstream_rq_total") ?? 0;
      if (seen === 0) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(seen >= 1, "at least one poll of the admin interface");
  });

  test("operator actions are not reachable from the public listener: no drain starts there, no admin endpoint answers", async () => {
    const token = { "x-drain-token": DEV_DRAIN_TOKEN };
    for (const path of ["/drain-signal/start", "/drain-signal/start?window_ms=1000", "/healthcheck/fail", "/drain_listeners"]) {
      const r = await fetch(proxy.url("public", path, "http"), { method: "POST", headers: token });
      assert.equal(r.status, 404, `POST ${path} on the public listener`);
    }
    const state = await proxy.stats("^wasmcustom\\.wss\\.drain\\.state$");
    assert.equal(state.get("wasmcustom.wss.drain.state"), 0, "no drain started");
    assert.equal(await (await fetch(proxy.adminUrl("/ready"))).text(), "LIVE\n", "the public requests did not reach admin");
  });

  test("admin reports LIVE and the filters' per-service stats", async () => {
    assert.equal(await (await fetch(proxy.adminUrl("/ready"))).text(), "LIVE\n");
    const stats = await proxy.stats("^wasmcustom\\.wss\\.messages\\.cx_total$");
    assert.ok((stats.get("wasmcustom.wss.messages.cx_total") ?? 0) >= 1);
    const prom = await (await fetch(proxy.adminUrl("/stats/prometheus"))).text();
    assert.match(prom, /^wss_cx_total\{service="messages"\} \d+$/m);
  });
});
