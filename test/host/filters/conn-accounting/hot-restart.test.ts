// conn-accounting across a hot restart: the child's shared data starts empty while the parent
// still holds its websockets. The child's wss.<service>.cx_reserved gauge carries the parent's
// reservations once Envoy merges the parent's stats (Accumulate gauge: StatMerger adds the
// parent's value), and the limit counts them. The merge is done here as the gateway's
// hot-restart StatMerger does it, on the host's stats store.
import { test, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { Host, ManualClock, type Plugin, type HttpStream } from "../../../../envoy-test/host/index.ts";
import { StatMerger } from "../../../../envoy-test/gateway/hot-restart/stat-merger.ts";
import { ensureBuilt, HTTP_CONFIG, VM_ID, upgrade, SWITCHING, stat, sharedCount } from "../../../../bench/support/conn-accounting.ts";

let host: Host;
let plugin: Plugin;

beforeEach(async () => {
  const wasm = await ensureBuilt();
  host = new Host({ clock: new ManualClock() });
  plugin = await host.loadPlugin({ wasm, rootId: "conn_accounting", vmId: VM_ID, configuration: HTTP_CONFIG, workers: 2 });
});

function attempt(service: string, worker = 0): HttpStream {
  const s = plugin.createHttpStream({ worker });
  s.callOnRequestHeaders(upgrade(service), false);
  if (!s.localResponse) s.callOnResponseHeaders(SWITCHING, false);
  return s;
}

/** What a parent process reports at a stats merge: its reserved and active counts for presence. */
function parentStats(reserved: number) {
  return { counterDeltas: {}, gauges: { "wasmcustom.wss.presence.cx_reserved": reserved, "wasmcustom.wss.presence.cx_active": reserved }, memoryAllocated: 0, numConnections: reserved };
}

test("a reservation counts in cx_reserved until the stream ends, a rejection not at all", () => {
  const s = attempt("messages");
  assert.equal(stat(host, "wss.messages.cx_reserved"), 1);
  const [a, b] = [attempt("messages"), attempt("messages", 1)];
  const over = attempt("messages");
  assert.equal(over.localResponse?.status, 503);
  assert.equal(stat(host, "wss.messages.cx_reserved"), 3);
  for (const x of [s, a, b, over]) x.complete();
  assert.equal(stat(host, "wss.messages.cx_reserved"), 0);
  assert.equal(sharedCount(host, "wss.cx.messages"), 0);
});

test("after a hot restart the limit covers the parent's websockets as of the last stats merge", () => {
  const merger = new StatMerger(host.stats);
  merger.merge(parentStats(48));                       // presence max_active is 50
  const mine = [attempt("presence"), attempt("presence", 1)];
  assert.deepEqual(mine.map((s) => s.localResponse?.status ?? 101), [101, 101]);
  const over = attempt("presence");
  assert.equal(over.localResponse?.status, 503, "parent 48 + child 2 = 50: the 51st is refused");
  assert.equal(sharedCount(host, "wss.cx.presence"), 2, "shared data holds this process's own count only");
  assert.equal(stat(host, "wss.presence.cx_active"), 50, "cx_active shows parent + child, as Envoy's admin does");

  merger.merge(parentStats(40));                       // 8 of the parent's clients moved away
  const moved = Array.from({ length: 8 }, (_, i) => attempt("presence", i % 2));
  assert.ok(moved.every((s) => s.localResponse === null), "the slots the parent freed are usable after the next merge");
  assert.equal(attempt("presence").localResponse?.status, 503);

  merger.clear();                                      // the parent exited
  assert.equal(stat(host, "wss.presence.cx_reserved"), 10);
  const more = Array.from({ length: 40 }, (_, i) => attempt("presence", i % 2));
  assert.ok(more.every((s) => s.localResponse === null), "with the parent gone the whole limit is this process's");
  assert.equal(attempt("presence").localResponse?.status, 503);
});
