// Stats across a hot restart, as Envoy's parent exports and its child merges them: counters as
// deltas since the last export (added to the child's), gauges by import mode (Accumulate carries
// the parent's latest value on top of the child's, NeverImport stays the child's own), and the
// parent's gauge share removed when it is terminated.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Stats } from "../../envoy-test/host/index.ts";
import { StatExporter, StatMerger, importMode } from "../../envoy-test/gateway/hot-restart/stat-merger.ts";

test("counters continue, Accumulate gauges merge then clear, NeverImport gauges stay the child's", () => {
  const parent = new Stats();
  const child = new Stats();
  parent.counter("wasmcustom.wss.messages.cx_total").inc(700);
  parent.gauge("wasmcustom.wss.messages.cx_active").add(650);
  parent.gauge("listener.127.0.0.1_8080.downstream_cx_active").add(651);
  parent.gauge("server.hot_restart_epoch").set(0);
  parent.gauge("server.state").set(1);
  parent.gauge("cluster.messages.membership_total").set(2);
  child.gauge("server.hot_restart_epoch").set(1);
  child.gauge("server.state").set(0);
  child.gauge("cluster.messages.membership_total").set(3);
  child.counter("wasmcustom.wss.messages.cx_total").inc(5);
  child.gauge("wasmcustom.wss.messages.cx_active").add(5);

  const exporter = new StatExporter(parent);
  const merger = new StatMerger(child);
  merger.merge(exporter.export(651));
  assert.equal(child.get("wasmcustom.wss.messages.cx_total"), 705);
  assert.equal(child.get("wasmcustom.wss.messages.cx_active"), 655);
  assert.equal(child.get("listener.127.0.0.1_8080.downstream_cx_active"), 651);
  assert.equal(child.get("server.hot_restart_epoch"), 1);
  assert.equal(child.get("server.state"), 0);
  assert.equal(child.get("cluster.messages.membership_total"), 3);

  // The parent drains: 600 of its websockets go, its counter moves on by 10.
  parent.gauge("wasmcustom.wss.messages.cx_active").sub(600);
  parent.counter("wasmcustom.wss.messages.cx_total").inc(10);
  const second = exporter.export(51);
  assert.deepEqual(second.counterDeltas, { "wasmcustom.wss.messages.cx_total": 10 }, "only what changed since the last export");
  merger.merge(second);
  assert.equal(child.get("wasmcustom.wss.messages.cx_total"), 715);
  assert.equal(child.get("wasmcustom.wss.messages.cx_active"), 55);

  merger.clear();
  assert.equal(child.get("wasmcustom.wss.messages.cx_active"), 5, "the parent's share goes with it");
  assert.equal(child.get("listener.127.0.0.1_8080.downstream_cx_active"), 0);
  assert.equal(child.get("wasmcustom.wss.messages.cx_total"), 715, "counters keep what was merged");
});

test("import modes follow Envoy's declarations", () => {
  for (const n of ["server.hot_restart_epoch", "server.state", "server.live", "server.concurrency", "listener_manager.total_listeners_active",
    "listener_manager.total_listeners_draining", "cluster.apps.membership_healthy", "cluster.apps.health_check.healthy"]) assert.equal(importMode(n), "NeverImport", n);
  for (const n of ["wasmcustom.wss.apps.cx_active", "wasmcustom.wss.apps.cx_reserved", "server.parent_connections", "server.total_connections",
    "cluster.apps.upstream_cx_active", "http.public.downstream_rq_active"]) assert.equal(importMode(n), "Accumulate", n);
});
