// conn-accounting's network filter (root id conn_accounting_tcp) in the Envoy-like host:
// per-listener and per-source counts and caps across two worker VMs.
import { test, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { Host, ManualClock, FilterStatus, PeerType, type Plugin, type TcpConnection } from "../../../../envoy-test/host/index.ts";
import { ensureBuilt, TCP_CONFIG, VM_ID, stat, sharedCount, prng } from "../../../../bench/support/conn-accounting.ts";

let host: Host;
let plugin: Plugin;

beforeEach(async () => {
  const wasm = await ensureBuilt();
  host = new Host({ clock: new ManualClock() });
  // max_per_listener 4, max_per_source 2
  plugin = await host.loadPlugin({ wasm, rootId: "conn_accounting_tcp", vmId: VM_ID, configuration: TCP_CONFIG, workers: 2, kind: "network" });
});

function connect(address: string, worker = 0): { c: TcpConnection; status: FilterStatus } {
  const c = plugin.createTcpConnection({ worker, properties: { "source.address": address } });
  return { c, status: c.callOnNewConnection() };
}

test("a connection counts per listener and per source address until it closes", () => {
  const { c, status } = connect("10.0.0.1:40000");
  assert.equal(status, FilterStatus.Continue);
  assert.equal(stat(host, "wss.tcp.ingress.cx_active"), 1);
  assert.equal(stat(host, "wss.tcp.ingress.cx_total"), 1);
  assert.equal(sharedCount(host, "wss.tcp.ingress"), 1);
  assert.equal(sharedCount(host, "wss.tcp.ingress.src.10.0.0.1"), 1);
  c.callOnDownstreamClose(PeerType.Remote);
  c.complete();
  assert.equal(stat(host, "wss.tcp.ingress.cx_active"), 0);
  assert.equal(sharedCount(host, "wss.tcp.ingress"), 0);
  assert.equal(sharedCount(host, "wss.tcp.ingress.src.10.0.0.1"), 0);
});

test("a third connection from one address is closed at once and counted; other addresses pass", () => {
  const a = connect("10.0.0.1:1", 0), b = connect("10.0.0.1:2", 1);
  const third = connect("10.0.0.1:3", 0);
  assert.equal(third.c.closed, true, "proxy_close_stream(Downstream) was called");
  assert.equal(third.status, FilterStatus.StopIteration);
  assert.equal(stat(host, "wss.tcp.ingress.cx_rejected"), 1);
  third.c.callOnDownstreamClose(PeerType.Local);
  third.c.complete();
  assert.equal(sharedCount(host, "wss.tcp.ingress"), 2, "the listener slot taken before the source check is given back");
  assert.equal(sharedCount(host, "wss.tcp.ingress.src.10.0.0.1"), 2);
  const other = connect("[2001:db8::7]:443", 1);
  assert.equal(other.c.closed, false);
  assert.equal(sharedCount(host, "wss.tcp.ingress.src.2001:db8::7"), 1);
  for (const x of [a, b, other]) x.c.complete();
  assert.equal(sharedCount(host, "wss.tcp.ingress"), 0);
  assert.equal(stat(host, "wss.tcp.ingress.cx_active"), 0);
});

test("the listener cap holds across both workers", () => {
  const open = ["10.0.0.1:1", "10.0.0.2:1", "10.0.0.3:1", "10.0.0.4:1"].map((a, i) => connect(a, i % 2));
  assert.ok(open.every((o) => !o.c.closed));
  const fifth = connect("10.0.0.5:1", 1);
  assert.equal(fifth.c.closed, true);
  assert.equal(stat(host, "wss.tcp.ingress.cx_active"), 4);
  fifth.c.complete();
  open[0].c.complete();
  assert.equal(connect("10.0.0.5:2", 0).c.closed, false);
});

test("2,000 random connects and closes on two workers never exceed the caps and end at zero", () => {
  const rnd = prng(7);
  const live: { c: TcpConnection; ip: string }[] = [];
  let rejected = 0;
  for (let step = 0; step < 2000; step++) {
    if (rnd() < 0.55 || live.length === 0) {
      const ip = `10.0.0.${1 + Math.floor(rnd() * 3)}`;
      const bySource = live.filter((l) => l.ip === ip).length;
      const { c } = connect(`${ip}:${1000 + step}`, step % 2);
      const expectAdmit = live.length < 4 && bySource < 2;
      assert.equal(!c.closed, expectAdmit, `step ${step}`);
      if (expectAdmit) live.push({ c, ip }); else { rejected++; c.complete(); }
    } else {
      const [l] = live.splice(Math.floor(rnd() * live.length), 1);
      if (rnd() < 0.5) l.c.callOnDownstreamClose(PeerType.Remote);
      l.c.complete();
    }
    assert.equal(sharedCount(host, "wss.tcp.ingress"), live.length, `step ${step}`);
    assert.equal(stat(host, "wss.tcp.ingress.cx_active"), live.length, `step ${step}`);
  }
  while (live.length) live.pop()!.c.complete();
  assert.equal(sharedCount(host, "wss.tcp.ingress"), 0);
  assert.equal(stat(host, "wss.tcp.ingress.cx_active"), 0);
  assert.equal(stat(host, "wss.tcp.ingress.cx_rejected"), rejected);
  for (const ip of ["10.0.0.1", "10.0.0.2", "10.0.0.3"]) assert.equal(sharedCount(host, `wss.tcp.ingress.src.${ip}`), 0);
});
