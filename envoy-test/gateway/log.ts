// The gateway's log output as Envoy writes it with --log-level (source/common/common/logger.h
// DEFAULT_LOG_FORMAT "[%Y-%m-%d %T.%e][%t][%l][%n] [%g:%#] %v", without the source file:line
// that only Envoy's own code has): Wasm log lines from the "wasm" logger as
// source/extensions/common/wasm/context.cc Context::log writes them, "wasm log<prefix>: message",
// where the prefix is " <plugin name> <root_id> <vm_id>", each part only when not empty
// (proxy-wasm-cpp-host PluginBase::makeLogPrefix); a trap's "Function: ... failed: ..." (with the
// in-VM backtrace when the module has names) at error, as cpp-host's WasmBase::fail logs it.
import type { LogEntry, LogLevelName } from "../host/index.ts";
import type { GatewayLog } from "./context.ts";

export type EnvoyLogLevel = LogLevelName | "off";
const LEVELS: EnvoyLogLevel[] = ["trace", "debug", "info", "warn", "error", "critical", "off"];

/** Envoy's --log-level names ("warning" is accepted for "warn", as Envoy does); 0 (trace) .. 6 (off). */
export function parseLogLevel(s: string): number {
  const i = LEVELS.indexOf((s === "warning" ? "warn" : s) as EnvoyLogLevel);
  if (i < 0) throw new Error(`--log-level: "${s}" is not one of ${LEVELS.join(", ")}`);
  return i;
}

const pad = (n: number, w = 2) => String(n).padStart(w, "0");
function stamp(d = new Date()): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}
// Envoy prints spdlog's short level names.
const SPD: Record<LogLevelName, string> = { trace: "trace", debug: "debug", info: "info", warn: "warning", error: "error", critical: "critical" };

/** One Envoy-format line (multi-line messages, e.g. a backtrace, continue on the next lines). */
export function envoyLine(level: LogLevelName, logger: string, message: string, worker = 0): string {
  return `[${stamp()}][${worker}][${SPD[level]}][${logger}] ${message}`;
}

/** The text Envoy logs for a LogEntry of the host: "wasm log <prefix>: ..." for the module's lines. */
export function wasmLogMessage(e: LogEntry): string {
  if (e.fromHost) return e.message;
  const name = e.pluginName ?? "", rootId = e.rootId ?? (e.plugin === name ? "" : e.plugin);
  const prefix = [name, rootId, e.vmId].filter((p) => p !== "").map((p) => ` ${p}`).join("");
  return `wasm log${prefix}: ${e.message}`;
}

/** A gateway log and a Wasm log sink writing Envoy-format lines at `level` (0 trace .. 6 off). */
export function envoyLog(level: number, write: (line: string) => void): { log: GatewayLog; onWasmLog: (e: LogEntry) => void } {
  const at = (l: LogLevelName) => LEVELS.indexOf(l) >= level;
  return {
    log: (l, msg) => { if (at(l)) write(envoyLine(l, "gateway", msg)); },
    onWasmLog: (e) => { if (at(e.level)) write(envoyLine(e.level, "wasm", wasmLogMessage(e), Math.max(e.worker, 0))); },
  };
}
