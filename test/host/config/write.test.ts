// Writing a config or an EDS file: validate first, then temp file + rename, so a reader (Envoy's
// file watch, the gateway's) never sees a half-written or invalid file.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  ConfigValidationError, EnvoyConfig, validateFile, writeAtomic, writeConfig, writeEds,
} from "../../../envoy-test/config/index.ts";

const PREVIOUS = "# the previous config\nadmin: {address: {socket_address: {address: 127.0.0.1, port_value: 9901}}}\n";

function smallConfig(connectTimeout = "1s"): EnvoyConfig {
  return new EnvoyConfig({ wasmDir: "build" })
    .admin({ host: "127.0.0.1", port: 9901 })
    .httpListener({ name: "public", address: { host: "127.0.0.1", port: 8080 }, statPrefix: "public", routes: [{ prefix: "/", cluster: "messages" }] })
    .cluster({ name: "messages", endpoints: [{ host: "127.0.0.1", port: 9101 }], connectTimeout });
}

function setup(): { dir: string; target: string } {
  const dir = mkdtempSync(join(tmpdir(), "config-write-"));
  const target = join(dir, "envoy.yaml");
  writeFileSync(target, PREVIOUS);
  return { dir, target };
}

describe("writing configs", () => {
  it("writes a valid config that validates again when read back", async () => {
    const { dir, target } = setup();
    await writeConfig(target, smallConfig());
    assert.notEqual(readFileSync(target, "utf8"), PREVIOUS);
    assert.deepEqual((await validateFile(target, { runModules: false })).errors, []);
    assert.deepEqual(readdirSync(dir), ["envoy.yaml"]);
  });

  it("leaves the previous file intact when the write is interrupted after the temp file", async () => {
    const { dir, target } = setup();
    let temp = "";
    await assert.rejects(
      writeConfig(target, smallConfig(), { beforeRename: (t) => { temp = t; throw new Error("killed before rename"); } }),
      /killed before rename/,
    );
    assert.ok(temp.startsWith(dir), "the temp file is in the target's directory (same filesystem: rename is atomic)");
    assert.equal(readFileSync(target, "utf8"), PREVIOUS);
    assert.deepEqual(readdirSync(dir), ["envoy.yaml"], "the temp file is removed");
  });

  it("writes nothing when the config is invalid, and says why with the YAML path", async () => {
    const { dir, target } = setup();
    const err = await writeConfig(target, smallConfig("0s")).catch((e) => e);
    assert.ok(err instanceof ConfigValidationError);
    assert.deepEqual(err.result.errors.map((e: { path: string }) => e.path), ["static_resources.clusters[0].connect_timeout"]);
    assert.equal(readFileSync(target, "utf8"), PREVIOUS);
    assert.deepEqual(readdirSync(dir), ["envoy.yaml"]);
  });

  it("writes EDS files as a DiscoveryResponse of one ClusterLoadAssignment, also atomically", async () => {
    const { dir } = setup();
    const eds = join(dir, "messages.yaml");
    writeFileSync(eds, "version_info: old\nresources: []\n");
    const assignment = { cluster_name: "messages", endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: "127.0.0.1", port_value: 9101 } } } }] }] };
    await assert.rejects(writeEds(eds, assignment, "v2", { beforeRename: () => { throw new Error("interrupted"); } }), /interrupted/);
    assert.equal(readFileSync(eds, "utf8"), "version_info: old\nresources: []\n");
    await writeEds(eds, assignment, "v2");
    const text = readFileSync(eds, "utf8");
    assert.match(text, /^version_info: v2$/m);
    assert.match(text, /"@type": type\.googleapis\.com\/envoy\.config\.endpoint\.v3\.ClusterLoadAssignment/);
    assert.deepEqual(readdirSync(dir).sort(), ["envoy.yaml", "messages.yaml"]);
  });

  it("refuses an EDS assignment with a bad port, writing nothing", async () => {
    const { dir } = setup();
    const eds = join(dir, "apps.yaml");
    const bad = { cluster_name: "apps", endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: "127.0.0.1", port_value: 70000 } } } }] }] };
    const err = await writeEds(eds, bad, "v1").catch((e) => e);
    assert.ok(err instanceof ConfigValidationError);
    assert.deepEqual(err.result.errors.map((e: { path: string }) => e.path), ["resources[0].endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value"]);
    assert.equal(existsSync(eds), false);
  });

  it("writes the EDS files of a builder config with the config, before it", async () => {
    const { dir, target } = setup();
    const cfg = new EnvoyConfig({ wasmDir: "build" })
      .cluster({ name: "presence", eds: { path: join(dir, "eds", "presence.yaml") }, endpoints: [{ host: "127.0.0.1", port: 9111 }] });
    const order: string[] = [];
    await writeConfig(target, cfg, { beforeRename: (t) => order.push(t.includes("presence") ? "eds" : "config") });
    assert.deepEqual(order, ["eds", "config"]);
    assert.match(readFileSync(join(dir, "eds", "presence.yaml"), "utf8"), /port_value: 9111/);
  });

  it("writeAtomic replaces a file's content in one step", () => {
    const { target } = setup();
    writeAtomic(target, "new: content\n");
    assert.equal(readFileSync(target, "utf8"), "new: content\n");
  });
});
