import assert from "node:assert/strict";
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { stringify } from "yaml";
import { startBackends, type Backends } from "../../envoy-test/backends/index.ts";
import { parseEdsFile } from "../../envoy-test/gateway/eds-file.ts";
import { startGateway, type Gateway } from "../../envoy-test/gateway/index.ts";
import { adminGet, bootstrap, type Client, edsCluster, edsDocument, type Endpoint, hcm, openClient, serviceRoutes, waitFor } from "./support.ts";

const EDS_FIXTURE = `
version_info: "1"
resources:
  - "@type": type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment
    cluster_name: messages
    endpoints:
      - lb_endpoints:
          - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 9101 } } }
          - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 9102 } } }
`;

test("an EDS file's ClusterLoadAssignment for the service gives its endpoints", () => {
  assert.deepEqual(parseEdsFile(EDS_FIXTURE, "eds.yaml", "messages"), [
    { address: "127.0.0.1", port: 9101 }, { address: "127.0.0.1", port: 9102 },
  ]);
});

test("an EDS file without the service's resource is rejected by name", () => {
  assert.throws(() => parseEdsFile(EDS_FIXTURE, "eds.yaml", "presence"), { message: 'eds.yaml: no ClusterLoadAssignment with cluster_name "presence"' });
});

describe("endpoints change through the EDS file without a reload", () => {
  let dir: string;
  let path: string;
  let backends: Backends;
  let gw: Gateway;
  let port: number;
  let all: Endpoint[];
  let version = 0;

  /** Writes the file as Envoy expects it: a temp file moved over the path (inotify IN_MOVED_TO). */
  const publish = async (eps: Endpoint[]): Promise<void> => {
    const before = gw ? gw.stats.get("cluster.messages.update_success") ?? 0 : 0;
    const tmp = join(dir, `.eds-${++version}.tmp`);
    writeFileSync(tmp, stringify(edsDocument("messages", eps)));
    renameSync(tmp, path);
    if (gw) await waitFor(() => (gw.stats.get("cluster.messages.update_success") ?? 0) > before, `EDS update ${version}`);
  };
  const hostKeys = (): string[] => gw.clusters.get("messages")!.hosts.map((h) => h.key).sort();
  const key = (e: Endpoint): string => `${e.address}:${e.port}`;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "gw-eds-"));
    path = join(dir, "messages-eds.yaml");
    backends = await startBackends({ basePort: 0, services: ["messages"], instancesPerService: 4 });
    all = backends.endpoints("messages");
    await publish(all.slice(0, 2));
    gw = await startGateway({ config: bootstrap([hcm(serviceRoutes(["messages"]))], [edsCluster("messages", path)]) });
    port = gw.listenerAddress("ingress").port;
  });

  after(async () => {
    await gw?.close();
    await backends?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("the initial file's endpoints are the cluster's hosts", () => {
    assert.deepEqual(hostKeys(), all.slice(0, 2).map(key).sort());
  });

  test("an in-place write is not seen; a rename over the file is", async () => {
    const updates = gw.stats.get("cluster.messages.update_success");
    writeFileSync(path, stringify(edsDocument("messages", all)));
    // Nothing to wait for in the in-place case: prove the watcher is alive with a rename right after.
    await publish(all.slice(0, 3));
    assert.equal(gw.stats.get("cluster.messages.update_success"), (updates ?? 0) + 1, "exactly one update: the rename");
    assert.deepEqual(hostKeys(), all.slice(0, 3).map(key).sort());
    await publish(all.slice(0, 2));
  });

  test("removed endpoints get no new connections while open websockets to every endpoint keep working", async () => {
    const open: Client[] = [];
    for (let i = 0; i < 8; i++) open.push(await openClient(`ws://127.0.0.1:${port}/messages`));
    const onRemoved = (c: Client): boolean => c.hello().instance === key(all[0]);
    assert.ok(open.some(onRemoved) && open.some((c) => !onRemoved(c)), "connections on both initial endpoints");

    await publish([all[1], all[2]]); // remove all[0], add all[2]
    const fresh: Client[] = [];
    for (let i = 0; i < 6; i++) fresh.push(await openClient(`ws://127.0.0.1:${port}/messages`));
    assert.deepEqual([...new Set(fresh.map((c) => c.hello().instance))].sort(), [key(all[1]), key(all[2])].sort());

    // Nothing was dropped: every earlier connection, including those on the removed endpoint, still echoes.
    for (const [i, c] of open.entries()) await c.echo(`still open ${i}`);
    assert.ok(open.every((c) => c.closeCode === null));
    for (const c of [...open, ...fresh]) c.close();
    await Promise.all([...open, ...fresh].map((c) => c.closed));
  });

  test("after many changes under load nothing is stale: hosts, /clusters and new connections match the last file", async () => {
    const steady = await openClient(`ws://127.0.0.1:${port}/messages`);
    const steadyKey = steady.hello().instance as string;
    const steadyEp = all.find((e) => key(e) === steadyKey)!;
    const others = all.filter((e) => e !== steadyEp);
    for (let round = 0; round < 30; round++) {
      // The steady connection's endpoint stays in every set; the others come and go.
      const set = [steadyEp, ...others.filter((_, i) => (round + i) % 3 !== 0)];
      await publish(set);
      await steady.echo(`round ${round}`);
    }
    const last = [steadyEp, others[1]];
    await publish(last);
    assert.deepEqual(hostKeys(), last.map(key).sort());
    const text = (await adminGet(gw.adminAddress().port, "/clusters")).text;
    const listed = [...text.matchAll(/^messages::([\d.]+:\d+)::cx_total::/gm)].map((m) => m[1]).sort();
    assert.deepEqual(listed, last.map(key).sort());
    const fresh: Client[] = [];
    for (let i = 0; i < 4; i++) fresh.push(await openClient(`ws://127.0.0.1:${port}/messages`));
    assert.deepEqual([...new Set(fresh.map((c) => c.hello().instance))].sort(), last.map(key).sort());
    assert.equal(steady.closeCode, null);
    for (const c of [steady, ...fresh]) c.close();
    await Promise.all([steady, ...fresh].map((c) => c.closed));
  });

  test("a broken file is rejected and the previous endpoints stay", async () => {
    const before = hostKeys();
    const rejected = gw.stats.get("cluster.messages.update_rejected") ?? 0;
    const tmp = join(dir, ".broken.tmp");
    writeFileSync(tmp, "resources: [ { cluster_name: messages, endpoints: 7 } ]\n");
    renameSync(tmp, path);
    await waitFor(() => (gw.stats.get("cluster.messages.update_rejected") ?? 0) > rejected, "the rejection");
    assert.deepEqual(hostKeys(), before);
  });
});
