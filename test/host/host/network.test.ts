// Network (L4) contexts, gRPC calls, WASI stdout, log levels and acting on a connection from the
// root context.
import assert from "node:assert/strict";
import { test } from "node:test";
import { FilterStatus, Host, LogLevel, PeerType, StreamType, WasmResult } from "../../../envoy-test/host/index.ts";
import { fixture } from "../../support/wat.ts";

const bytes = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => new TextDecoder().decode(b);

async function network(logLevel = LogLevel.Info) {
  const host = new Host({ logLevel });
  const plugin = await host.loadPlugin({ wasm: await fixture("network.wat"), rootId: "net", workers: 1, kind: "network" });
  const last = () => (plugin.workers[0].vm.instance.exports.last_result as WebAssembly.Global).value as number;
  return { host, plugin, last, infos: () => host.logs("info").filter((e) => e.worker >= 0).map((e) => e.message) };
}

test("downstream bytes get a prefix and a suffix, upstream bytes are replaced", async () => {
  const { plugin, infos } = await network();
  const c = plugin.createTcpConnection();
  assert.equal(c.callOnNewConnection(), FilterStatus.Continue);
  assert.equal(c.callOnDownstreamData(bytes("hello")), FilterStatus.Continue);
  assert.equal(str(c.downstreamData), "[hello]");
  c.callOnUpstreamData(bytes("whatever the server said"));
  assert.equal(str(c.upstreamData), "ok");
  assert.deepEqual(infos().slice(1), ["new connection"]);
});

test("a connection ends with its close callbacks, then done, log, delete", async () => {
  const { plugin, infos } = await network();
  const c = plugin.createTcpConnection();
  c.callOnNewConnection();
  c.callOnUpstreamData(bytes("bye"), true); // Envoy reports the upstream close on end_stream
  c.callOnDownstreamClose(PeerType.Remote);
  assert.deepEqual(infos().slice(1), ["new connection", "upstream close", "downstream close", "done", "log", "delete"]);
});

test("proxy_close_stream(Downstream) closes the connection after the callback", async () => {
  const { plugin } = await network();
  const closes: StreamType[] = [];
  const c = plugin.createTcpConnection({ events: { onClose: (t) => closes.push(t) } });
  c.callOnNewConnection();
  c.callOnDownstreamData(bytes("X marks"));
  assert.equal(c.closed, true);
  assert.equal(c.closeDetails, "wasm_downstream_close");
  assert.deepEqual(closes, [StreamType.Downstream]);
});

test("a root context closes a connection later through proxy_set_effective_context", async () => {
  const { plugin, last } = await network();
  const closes: StreamType[] = [];
  const c = plugin.createTcpConnection({ events: { onClose: (t) => closes.push(t) } });
  c.callOnNewConnection();
  plugin.callForeign(0, c.contextId, new Uint8Array(0));
  assert.equal(last(), WasmResult.Ok);
  assert.deepEqual(closes, [StreamType.Downstream]);
  plugin.callForeign(0, 999, new Uint8Array(0));
  assert.equal(last(), WasmResult.BadArgument, "no context 999 in this VM");
});

test("WASI fd_write to stdout becomes an info log line without its newline", async () => {
  const { host } = await network();
  assert.deepEqual(host.logs("info").filter((e) => e.worker === 0).map((e) => e.message), ["hello from stdout"]);
});

test("proxy_get_log_level reports the host's level and lines below it are not logged", async () => {
  const quiet = await network(LogLevel.Warn);
  assert.equal(quiet.last(), LogLevel.Warn);
  assert.deepEqual(quiet.host.logs("info"), []);
  const loud = await network(LogLevel.Trace);
  assert.equal(loud.last(), LogLevel.Trace);
});

test("a gRPC unary call made from a tick is answered with one message", async () => {
  const { host, plugin, infos } = await network();
  host.advance(10); // no tick period set: nothing happens
  plugin.tick();
  const [call] = host.pendingCallouts();
  assert.deepEqual([call.kind, call.cluster, call.service, call.method, str(call.body), call.token], ["grpc", "grpc-cluster", "svc.Echo", "Ping", "ping", 5]);
  call.respond({ body: "pong" });
  assert.deepEqual(infos().slice(1), ["pong"]);
});

test("a gRPC call that times out closes with DeadlineExceeded", async () => {
  const { host, plugin, infos, last } = await network();
  plugin.tick();
  host.advance(999);
  assert.deepEqual(infos().slice(1), []);
  host.advance(1);
  assert.deepEqual(infos().slice(1), ["grpc closed", ""]);
  assert.equal(last(), 4);
  assert.equal(host.pendingCallouts().length, 0);
});

test("a failed gRPC call closes with the status and its message", async () => {
  const { host, plugin, infos, last } = await network();
  plugin.tick();
  host.pendingCallouts()[0].respond({ status: 7, message: "permission denied" });
  assert.deepEqual(infos().slice(1), ["grpc closed", "permission denied"]);
  assert.equal(last(), 7);
});
