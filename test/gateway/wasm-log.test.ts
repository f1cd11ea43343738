// The gateway's Envoy-format log lines (envoy-test/gateway/log.ts): Context::log's
// "wasm log<prefix>: message" with PluginBase::makeLogPrefix's prefix, filtered by --log-level.
import assert from "node:assert/strict";
import { test } from "node:test";
import { envoyLog, parseLogLevel, wasmLogMessage } from "../../envoy-test/gateway/index.ts";
import type { LogEntry } from "../../envoy-test/host/index.ts";

const entry = (e: Partial<LogEntry>): LogEntry => ({ level: "info", message: "hi", plugin: "", vmId: "", worker: 0, contextId: 1, ...e });

test("the prefix is name, root_id and vm_id, each only when not empty", () => {
  assert.equal(wasmLogMessage(entry({ pluginName: "auth", rootId: "auth_root", vmId: "vm1", plugin: "auth" })), "wasm log auth auth_root vm1: hi");
  assert.equal(wasmLogMessage(entry({ pluginName: "", rootId: "my_filter", plugin: "my_filter" })), "wasm log my_filter: hi");
  assert.equal(wasmLogMessage(entry({ pluginName: "", rootId: "", plugin: "" })), "wasm log: hi");
  // The host's own line about the VM (a trap) is Envoy's fail message, not a "wasm log" line.
  assert.equal(wasmLogMessage(entry({ fromHost: true, message: "Function: proxy_on_tick failed: Uncaught RuntimeError: unreachable" })),
    "Function: proxy_on_tick failed: Uncaught RuntimeError: unreachable");
});

test("lines below --log-level are not written; the format is Envoy's", () => {
  const lines: string[] = [];
  const { log, onWasmLog } = envoyLog(parseLogLevel("warning"), (l) => lines.push(l));
  onWasmLog(entry({ level: "info", rootId: "r", plugin: "r" }));
  onWasmLog(entry({ level: "warn", rootId: "r", plugin: "r", worker: 1, message: "careful" }));
  log("info", "cluster up");
  log("error", "cluster down");
  assert.equal(lines.length, 2, lines.join("\n"));
  assert.match(lines[0], /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\]\[1\]\[warning\]\[wasm\] wasm log r: careful$/);
  assert.match(lines[1], /\]\[error\]\[gateway\] cluster down$/);
  assert.throws(() => parseLogLevel("loud"), /--log-level: "loud" is not one of trace, debug, info, warn, error, critical, off/);
  assert.equal(parseLogLevel("off"), 6);
});
