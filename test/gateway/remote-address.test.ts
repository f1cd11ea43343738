// The source.address a stream's filters see, as Envoy's HCM derives it from the connection and
// X-Forwarded-For (use_remote_address, xff_num_trusted_hops).
import assert from "node:assert/strict";
import { test } from "node:test";
import { appendXff, streamProperties } from "../../envoy-test/gateway/remote-address.ts";
import { parseBootstrap } from "../../envoy-test/gateway/index.ts";
import { defaultTopology } from "../../envoy-test/config/index.ts";

const conn = { "source.address": "198.51.100.7:40001", "source.port": 40001 };
const xff = (v: string): [string, string][] => [["x-forwarded-for", v]];

test("use_remote_address false (Envoy's default): the last X-Forwarded-For entry, which the client chose", () => {
  const p = streamProperties({ useRemoteAddress: false, xffNumTrustedHops: 0 }, conn, xff("10.0.0.1, 10.0.0.2"));
  assert.equal(p["source.address"], "10.0.0.2:0");
  const hop = streamProperties({ useRemoteAddress: false, xffNumTrustedHops: 1 }, conn, xff("2001:db8::5,10.0.0.2"));
  assert.equal(hop["source.address"], "[2001:db8::5]:0");
  assert.equal(streamProperties({ useRemoteAddress: false, xffNumTrustedHops: 0 }, conn, xff("not-an-ip")), conn);
  assert.equal(streamProperties({ useRemoteAddress: false, xffNumTrustedHops: 0 }, conn, []), conn);
});

test("use_remote_address true: the connection's peer, whatever X-Forwarded-For says, and the peer is appended", () => {
  const x = { useRemoteAddress: true, xffNumTrustedHops: 0 };
  assert.equal(streamProperties(x, conn, xff("10.0.0.1"))["source.address"], "198.51.100.7:40001");
  const h = xff("10.0.0.1");
  appendXff(x, h, "198.51.100.7");
  assert.deepEqual(h, [["x-forwarded-for", "10.0.0.1,198.51.100.7"]]);
  const none: [string, string][] = [];
  appendXff(x, none, "198.51.100.7");
  assert.deepEqual(none, [["x-forwarded-for", "198.51.100.7"]]);
});

test("the default topology's public listener uses the remote address; the gateway reads both fields", () => {
  const b = parseBootstrap(defaultTopology().build());
  const hcm = b.listeners[0].filters.at(-1)!;
  if (hcm.kind !== "hcm") throw new Error("not an hcm");
  assert.equal(hcm.hcm.useRemoteAddress, true);
  assert.equal(hcm.hcm.xffNumTrustedHops, 0);
});
