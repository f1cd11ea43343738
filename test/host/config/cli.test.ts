// The proxy-wasm-as command line, run as a user runs it (the package bin shim), with its exit codes:
// 0 done, 1 failed (one "yaml.path: message" line per config error), 2 usage.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";

const repo = resolve(import.meta.dirname, "../../..");
const bin = join(repo, JSON.parse(readFileSync(join(repo, "package.json"), "utf8")).bin["proxy-wasm-as"]);

function run(args: string[], cwd = repo): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: "utf8", timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("proxy-wasm-as CLI", () => {
  it("exits 2 with the usage when no command is given", () => {
    const r = run([]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /usage: proxy-wasm-as/);
  });

  it("exits 2 with the usage on an unknown command or a missing argument", () => {
    for (const args of [["frobnicate"], ["validate"], ["gateway"], ["config", "--out"], ["config", "--bogus", "x"], ["new"],
      ["config", "--root-id", "x", "--filter", "a.wasm", "--listen", "127.0.0.1:1", "--upstream", "127.0.0.1:2"],
      ["config", "--filter", "a.wasm", "--listen", "127.0.0.1:1"], ["config", "--filter", "a.wasm", "--listen", "nohost", "--upstream", "127.0.0.1:2"],
      ["build", "-o", "x.wasm"], ["build", "a.ts", "b.ts"], ["gateway", "--config", "x.yaml", "--log-level", "loud"]]) {
      const r = run(args);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, /usage: proxy-wasm-as/);
    }
  });

  it("validate exits 0 on a valid config", () => {
    const r = run(["validate", "test/fixtures/configs/valid-camel-case.yaml"]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.stdout, "");
  });

  it("validate exits 1 and prints one line per error, each with its YAML path", () => {
    const r = run(["validate", "test/fixtures/configs/missing-name.yaml"]);
    assert.equal(r.code, 1);
    assert.deepEqual(r.stdout.trim().split("\n").map((l) => l.slice(0, l.indexOf(": "))), [
      "static_resources.clusters[0].name",
      "static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes[0].route.cluster",
    ]);
  });

  it("validate exits 1 naming the file when it cannot be read", () => {
    const r = run(["validate", "test/fixtures/configs/no-such-file.yaml"]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /no-such-file\.yaml: cannot read: ENOENT/);
  });

  it("config exits 1 and writes nothing when the modules it references are not built", () => {
    const cwd = mkdtempSync(join(tmpdir(), "config-cli-"));
    const r = run(["config", "--out", "out/envoy.yaml"], cwd);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /vm_config\.code\.local\.filename: Wasm module not found: build\/ws-router\.wasm/);
    assert.equal(existsSync(join(cwd, "out", "envoy.yaml")), false);
  });

  const built = ["ws-router", "conn-accounting", "drain-signal"].every((m) => existsSync(join(repo, "build", `${m}.wasm`)));
  it("config writes a default topology that validate accepts", { skip: built ? false : "build/*.wasm not all built yet (npm run build)" }, () => {
    const out = join(mkdtempSync(join(tmpdir(), "config-cli-")), "envoy.yaml");
    const w = run(["config", "--out", out]);
    assert.equal(w.code, 0, w.stdout + w.stderr);
    const v = run(["validate", out]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
  });

  it("config --wasm-dir points the modules at the container's directory and checks them in build/", { skip: built ? false : "build/*.wasm not all built yet (npm run build)" }, () => {
    const out = join(mkdtempSync(join(tmpdir(), "config-cli-")), "envoy.yaml");
    const w = run(["config", "--out", out, "--wasm-dir", "/etc/envoy/wasm"]);
    assert.equal(w.code, 0, w.stdout + w.stderr);
    assert.match(readFileSync(out, "utf8"), /filename: \/etc\/envoy\/wasm\/ws-router\.wasm/);
    assert.equal(run(["validate", out, "--wasm-dir", "/etc/envoy/wasm"]).code, 0);
    const plain = run(["validate", out]);
    assert.equal(plain.code, 1);
    assert.match(plain.stdout, /Wasm module not found: \/etc\/envoy\/wasm\/ws-router\.wasm/);
  });

  const gatewayThere = existsSync(join(repo, "envoy-test/gateway/index.ts"));
  it("gateway runs a config until interrupted, then exits 0", { skip: built && gatewayThere ? false : "the gateway or build/*.wasm not there yet" }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "config-cli-"));
    const file = join(dir, "envoy.yaml");
    // Port 0 everywhere: the kernel picks free ports, so this never collides with a running gateway.
    const { defaultTopology, writeConfig } = await import("../../../envoy-test/config/index.ts");
    const any = { host: "127.0.0.1", port: 0 };
    await writeConfig(file, defaultTopology({ listen: any, operator: any, admin: any, healthChecks: false }), { baseDir: repo });
    const child = spawn(process.execPath, [bin, "gateway", "--config", file], { cwd: repo, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    await new Promise<void>((ready, fail) => {
      child.stderr.on("data", (d) => { stderr += d; if (stderr.includes("Ctrl-C stops it")) ready(); });
      child.once("exit", (code) => fail(new Error(`gateway exited ${code} before running: ${stderr}`)));
    });
    assert.match(stderr, /listener public 127\.0\.0\.1:\d+, listener operator 127\.0\.0\.1:\d+, admin 127\.0\.0\.1:\d+/);
    const exit = await new Promise<{ code: number | null; signal: string | null }>((done) => {
      child.removeAllListeners("exit");
      child.once("exit", (code, signal) => done({ code, signal }));
      child.kill("SIGINT");
    });
    assert.deepEqual(exit, { code: 0, signal: null }, stderr);
  });

  const scaffoldThere = existsSync(join(repo, "envoy-test/scaffold.ts"));
  it("new NAME creates the filter in the working directory and lists its files", { skip: scaffoldThere ? false : "envoy-test/scaffold.ts not written yet" }, () => {
    const cwd = mkdtempSync(join(tmpdir(), "config-cli-new-"));
    writeFileSync(join(cwd, "package.json"), JSON.stringify({ name: "p" }));
    const r = run(["new", "my-filter"], cwd);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const files = r.stdout.trim().split("\n").filter(Boolean);
    assert.ok(files.includes("filters/my-filter/index.ts"), r.stdout);
    for (const f of files) assert.ok(existsSync(resolve(cwd, f)), `${f} exists`);
    assert.equal(JSON.parse(readFileSync(join(cwd, "asconfig.json"), "utf8")).extends, "proxy-wasm-as/asconfig.json");
  });

  it("new exits 1 with the scaffold's reason outside a project", { skip: scaffoldThere ? false : "envoy-test/scaffold.ts not written yet" }, () => {
    const r = run(["new", "my-filter"], mkdtempSync(join(tmpdir(), "config-cli-new-")));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /package\.json not found/);
  });

  it("config --drain-token sets the operator listener's token, and a short one is refused by the module", { skip: built ? false : "build/*.wasm not all built yet (npm run build)" }, () => {
    const out = join(mkdtempSync(join(tmpdir(), "config-cli-")), "envoy.yaml");
    const ok = run(["config", "--out", out, "--drain-token", "operator-secret-0123456789"]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(readFileSync(out, "utf8"), /"token":"operator-secret-0123456789"/);
    const short = run(["config", "--out", out + ".short", "--drain-token", "short"]);
    assert.equal(short.code, 1);
    assert.match(short.stdout, /listeners\[1\].*configuration: .*control\.token: must be at least 16 characters/);
    assert.equal(existsSync(out + ".short"), false);
  });

  const addHeader = existsSync(join(repo, "build/add-header.wasm"));
  it("config --filter writes your filters, in order, before the router to the upstream", { skip: addHeader ? false : "build/add-header.wasm not built yet (npm run build)" }, () => {
    const out = join(mkdtempSync(join(tmpdir(), "config-cli-")), "envoy.yaml");
    const w = run(["config", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:9000", "--filter", "build/add-header.wasm",
      "--root-id", "add_header", "--configuration", '{"name":"x-a","value":"1"}', "--filter", "build/add-header.wasm",
      "--root-id", "add_header", "--configuration", '{"name":"x-b","value":"2"}', "--websocket", "--out", out]);
    assert.equal(w.code, 0, w.stdout + w.stderr);
    const yaml = readFileSync(out, "utf8");
    const a = yaml.indexOf('{"name":"x-a"'), b = yaml.indexOf('{"name":"x-b"'), router = yaml.indexOf("envoy.filters.http.router");
    assert.ok(a > 0 && a < b && b < router, yaml);
    assert.match(yaml, /upgrade_type: websocket/);
    assert.match(yaml, /port_value: 9000/);
    assert.equal(run(["validate", out]).code, 0);
    // The module checks its configuration at validation: a bad one is refused, nothing written.
    const bad = run(["config", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:9000", "--filter", "build/add-header.wasm",
      "--configuration", '{"nope":1}', "--out", out + ".bad"]);
    assert.equal(bad.code, 1, bad.stdout + bad.stderr);
    assert.equal(existsSync(out + ".bad"), false);
  });

  it("gateway exits 1 with a clear message when the gateway cannot start the config", () => {
    const r = run(["gateway", "--config", "test/fixtures/configs/no-such-file.yaml"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /gateway/);
  });
});
