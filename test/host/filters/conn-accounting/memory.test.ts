// conn-accounting's linear memory over many websocket lifecycles: after warm-up it does not
// grow (the SDK collects garbage at safe points; the filter keeps no per-stream allocation
// beyond the stream object). Sizes are reported by conn-accounting.measure.ts, not asserted
// by time.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Host, ManualClock } from "../../../../envoy-test/host/index.ts";
import { ensureBuilt, HTTP_CONFIG, VM_ID, upgrade, SWITCHING, CLIENT_HELLO, SERVER_HELLO, sharedCount } from "../../../../bench/support/conn-accounting.ts";

test("linear memory does not grow over 20,000 websocket lifecycles after warm-up", async () => {
  const wasm = await ensureBuilt();
  const host = new Host({ clock: new ManualClock() });
  const plugin = await host.loadPlugin({ wasm, rootId: "conn_accounting", vmId: VM_ID, configuration: HTTP_CONFIG, workers: 1 });
  const services = ["apps", "presence", "messages", "team-x"];
  const lifecycle = (i: number) => {
    const s = plugin.createHttpStream({ worker: 0 });
    s.callOnRequestHeaders(upgrade(services[i % 4], [["x-slack-user", `U${i % 97}`]]), false);
    if (s.localResponse) { s.complete(); return; }
    s.callOnResponseHeaders(SWITCHING, false);
    s.callOnRequestBody(CLIENT_HELLO, false);
    s.callOnResponseBody(SERVER_HELLO, false);
    s.complete();
  };
  for (let i = 0; i < 2000; i++) lifecycle(i);
  const warm = plugin.workers[0].memoryBytes().length;
  for (let i = 0; i < 20000; i++) lifecycle(i);
  assert.equal(plugin.workers[0].memoryBytes().length, warm, "memory grew after warm-up");
  for (const svc of services) assert.equal(sharedCount(host, `wss.cx.${svc}`), 0);
});
