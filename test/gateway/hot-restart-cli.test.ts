// `proxy-wasm-as hot-restarter` as an operator runs it: epoch 0 starts, SIGHUP starts epoch 1 on
// the config file as it is then (here: a changed direct response, served on the same port), a
// config that does not validate is refused with the running epoch kept, SIGTERM stops every epoch
// and the command exits 0. A plain HCM with a direct response: no Wasm, so it starts quickly.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import http from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { freePort } from "../e2e/drain-signal-topology.ts";

const address = (p: number) => ({ socket_address: { address: "127.0.0.1", port_value: p } });

function bootstrap(listen: number, admin: number, body: string): object {
  return {
    admin: { address: address(admin) },
    static_resources: {
      listeners: [{
        name: "public", address: address(listen),
        filter_chains: [{ filters: [{
          name: "envoy.filters.network.http_connection_manager",
          typed_config: {
            "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
            stat_prefix: "public",
            route_config: { name: "r", virtual_hosts: [{ name: "v", domains: ["*"], routes: [{ match: { prefix: "/" }, direct_response: { status: 200, body: { inline_string: body } } }] }] },
            http_filters: [{ name: "envoy.filters.http.router", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" } }],
          },
        }] }],
      }],
      clusters: [],
    },
  };
}

test("hot-restarter: SIGHUP starts the next epoch on the same port, a bad config is refused, SIGTERM stops all", { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "hot-restarter-cli-"));
  const config = join(dir, "envoy.json");
  const [listen, admin] = [await freePort(), await freePort()];
  writeFileSync(config, JSON.stringify(bootstrap(listen, admin, "epoch zero")));
  const p = spawn(process.execPath, ["--import", "tsx", "envoy-test/cli.ts", "hot-restarter", "--config", config, "--drain-time-s", "1", "--parent-shutdown-time-s", "2"], { stdio: ["ignore", "ignore", "pipe"] });
  const lines: string[] = [];
  const waiters: { re: RegExp; done: () => void }[] = [];
  createInterface({ input: p.stderr! }).on("line", (l) => {
    lines.push(l);
    for (const w of [...waiters]) if (w.re.test(l)) { waiters.splice(waiters.indexOf(w), 1); w.done(); }
  });
  const line = (re: RegExp) => new Promise<void>((done, reject) => {
    if (lines.some((l) => re.test(l))) return done();
    waiters.push({ re, done });
    setTimeout(() => reject(new Error(`no line ${re} in:\n${lines.join("\n")}`)), 30_000).unref();
  });
  // A new connection each time: a kept-alive one stays with the process that accepted it.
  const get = () => new Promise<string>((resolve, reject) => {
    http.get({ host: "127.0.0.1", port: listen, path: "/", agent: false }, (res) => {
      let body = "";
      res.on("data", (d) => { body += d; });
      res.on("end", () => resolve(body));
    }).on("error", reject);
  });
  try {
    await line(/epoch 0 serving: public 127\.0\.0\.1:\d+, admin/);
    assert.equal(await get(), "epoch zero");

    writeFileSync(config, JSON.stringify(bootstrap(listen, admin, "epoch one")));
    p.kill("SIGHUP");
    await line(/epoch 1 serving/);
    assert.equal(await get(), "epoch one");
    const info = await (await fetch(`http://127.0.0.1:${admin}/server_info`)).json() as { command_line_options: { restart_epoch: number } };
    assert.equal(info.command_line_options.restart_epoch, 1);
    await line(/epoch 0 exited \(code 0\)/);

    writeFileSync(config, JSON.stringify({ ...bootstrap(listen, admin, "never"), stats_flush_interval: "ten seconds" }));
    p.kill("SIGHUP");
    await line(/refused, the running epoch stays/);
    assert.equal(await get(), "epoch one");

    const exited = new Promise<number | null>((r) => p.once("exit", (code) => r(code)));
    p.kill("SIGTERM");
    assert.equal(await exited, 0);
    await assert.rejects(get(), "nothing listens after SIGTERM");
  } finally {
    if (p.exitCode === null) p.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});

test("hot-restarter: a bad option is a usage error (exit 2)", async () => {
  const p = spawn(process.execPath, ["--import", "tsx", "envoy-test/cli.ts", "hot-restarter", "--config", "x.yaml", "--drain-strategy", "slow"], { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  p.stderr!.on("data", (d) => { err += d; });
  const code = await new Promise<number | null>((r) => p.once("exit", r));
  assert.equal(code, 2);
  assert.match(err, /--drain-strategy must be gradual or immediate, got "slow"/);
});
