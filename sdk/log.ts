// Logging gated by the host's log level. Envoy (ABI 0.2.1) exposes its wasm logger level through
// proxy_get_log_level (source/extensions/common/wasm/context.cc Context::getLogLevel); we cache it
// so a disabled level costs no hostcall. The dispatcher refreshes the cache in
// proxy_on_vm_start, proxy_on_configure and proxy_on_tick (Envoy changes levels at runtime only
// through its admin /logging endpoint, so ticks are a fair place to notice).
import { proxy_get_log_level, proxy_log } from "./bindings";
import { LogLevel } from "./enums";
import { RET } from "./memory";
import { tempFirstLen, utf8Temp } from "./utf8";

/** -1: not read yet. */
let cachedLevel: i32 = -1;

/** Re-reads the host's log level. Valid in any callback. */
export function refreshLogLevel(): void {
  store<u32>(RET, <u32>LogLevel.Info);
  if (proxy_get_log_level(RET) == 0) cachedLevel = <i32>load<u32>(RET);
  else cachedLevel = <i32>LogLevel.Trace;
}

/** The cached log level (read from the host on first use). Valid in any callback. */
export function logLevel(): LogLevel {
  if (cachedLevel < 0) refreshLogLevel();
  return <LogLevel>cachedLevel;
}

/** True when a message at `level` would be written. Build expensive messages only when true. */
@inline
export function logEnabled(level: LogLevel): bool {
  return <i32>level >= <i32>logLevel();
}

/** Writes `message` at `level` unless the host's level is higher (then no hostcall is made).
 *  Valid in any callback and in top-level code. */
export function log(level: LogLevel, message: string): void {
  if (<i32>level < <i32>logLevel()) return;
  const bytes = utf8Temp(message);
  proxy_log(<u32>level, bytes, tempFirstLen());
}

export function logTrace(message: string): void { log(LogLevel.Trace, message); }
export function logDebug(message: string): void { log(LogLevel.Debug, message); }
export function logInfo(message: string): void { log(LogLevel.Info, message); }
export function logWarn(message: string): void { log(LogLevel.Warn, message); }
export function logError(message: string): void { log(LogLevel.Error, message); }
export function logCritical(message: string): void { log(LogLevel.Critical, message); }
