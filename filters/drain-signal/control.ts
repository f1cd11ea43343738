// Operator requests on the internal control route: start, cancel or show a drain. Parsing and
// the table change are pure; index.ts checks the token, reads and CAS-writes shared data and
// sends the local reply.
//
//   POST <prefix>/start[?service=NAME][&window_ms=N][&grace_ms=N][&deadline_ms=N]
//   POST <prefix>/cancel[?service=NAME]
//   GET  <prefix>/status
// Without service= the request applies to every service.
import { ALL_SERVICES, DrainEntry, DrainTable, SOURCE_ENVOY, SOURCE_ENVOY_SHUTDOWN, SOURCE_OPERATOR, isServiceName, parseDecimal } from "./state";
import { MAX_WINDOW_MS } from "./schedule";

export const enum ControlAction { Start = 0, Cancel = 1, Status = 2 }

@final
export class ControlRequest {
  action: ControlAction = ControlAction.Status;
  scope: string = ALL_SERVICES;
  windowMs: i64 = -1;     // -1: not given, use the configured default
  graceMs: i64 = -1;
  deadlineMs: i64 = -1;
  error: string = "";     // non-empty: answer 400 with this reason
}

/** Timing defaults from the plugin configuration. */
@final
export class DrainTiming {
  windowMs: u64 = 20000;
  graceMs: u64 = 5000;
  deadlineMs: u64 = 30000;
}

/** True when :path is the control prefix or below it (query string ignored). */
export function isControlPath(path: string, prefix: string): bool {
  if (!path.startsWith(prefix)) return false;
  if (path.length == prefix.length) return true;
  const c = path.charCodeAt(prefix.length);
  return c == 0x2f /* / */ || c == 0x3f /* ? */;
}

export function parseControlRequest(method: string, path: string, prefix: string): ControlRequest {
  const r = new ControlRequest();
  const q = path.indexOf("?");
  const route = q < 0 ? path : path.substring(0, q);
  const query = q < 0 ? "" : path.substring(q + 1);
  const action = route.substring(prefix.length);
  let wantMethod = "POST";
  if (action == "/start") r.action = ControlAction.Start;
  else if (action == "/cancel") r.action = ControlAction.Cancel;
  else if (action == "/status") { r.action = ControlAction.Status; wantMethod = "GET"; }
  else {
    r.error = "unknown control path \"" + route + "\": use " + prefix + "/start, " + prefix + "/cancel or " + prefix + "/status";
    return r;
  }
  if (method != wantMethod) {
    r.error = route + " needs method " + wantMethod + ", got " + method;
    return r;
  }
  if (query.length == 0) return r;
  const params = query.split("&");
  let seen = "";
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    const eq = p.indexOf("=");
    const key = eq < 0 ? p : p.substring(0, eq);
    const value = eq < 0 ? "" : p.substring(eq + 1);
    if (seen.includes("," + key + ",")) { r.error = "query parameter \"" + key + "\" given twice"; return r; }
    seen += "," + key + ",";
    if (key == "service" && r.action != ControlAction.Status) {
      if (!isServiceName(value)) {
        r.error = "service: \"" + value + "\" is not a service name (1-64 of A-Z a-z 0-9 . _ -)";
        return r;
      }
      r.scope = value;
    } else if (r.action == ControlAction.Start && (key == "window_ms" || key == "grace_ms" || key == "deadline_ms")) {
      const v = parseDecimal(value);
      if (v < 0 || <u64>v > MAX_WINDOW_MS) {
        r.error = key + ": \"" + value + "\" is not a whole number of milliseconds in [0, " + MAX_WINDOW_MS.toString() + "]";
        return r;
      }
      if (key == "window_ms") r.windowMs = v;
      else if (key == "grace_ms") r.graceMs = v;
      else r.deadlineMs = v;
    } else {
      r.error = "unknown query parameter \"" + key + "\" for " + route;
      return r;
    }
  }
  return r;
}

/** Result of applying a request to the table: the reply, and whether the table changed. */
@final
export class ControlOutcome {
  status: u32 = 200;
  body: string = "";
  changed: bool = false;
}

/** Applies start/cancel to `table` (mutating it when changed). Start on a scope already
 *  draining changes nothing and says so, so a deploy tool may retry safely. */
export function applyControl(table: DrainTable, req: ControlRequest, timing: DrainTiming, nowMs: u64): ControlOutcome {
  const out = new ControlOutcome();
  const scopeName = req.scope == ALL_SERVICES ? "all" : req.scope;
  if (req.action == ControlAction.Status) {
    let drains = "";
    for (let i = 0; i < table.entries.length; i++) drains += (i > 0 ? "," : "") + table.entries[i].toJson();
    out.body = '{"now_ms":' + nowMs.toString() + ',"state":' + (<i32>table.phaseAt(nowMs)).toString() + ',"drains":[' + drains + "]}";
    return out;
  }
  const existing = table.find(req.scope);
  if (req.action == ControlAction.Cancel) {
    if (existing == null || existing.cancelled) {
      out.body = '{"action":"none","reason":"no active drain for ' + scopeName + '"}';
      return out;
    }
    existing.cancelled = true;
    out.changed = true;
    out.body = '{"action":"cancelled","drain":' + existing.toJson() + "}";
    return out;
  }
  if (existing != null && !existing.cancelled) {
    out.body = '{"action":"already_draining","drain":' + existing.toJson() + "}";
    return out;
  }
  const window: u64 = req.windowMs >= 0 ? <u64>req.windowMs : timing.windowMs;
  const grace: u64 = req.graceMs >= 0 ? <u64>req.graceMs : timing.graceMs;
  // Without an explicit deadline, keep the configured time between window end and deadline.
  const tail: u64 = timing.deadlineMs - timing.windowMs;
  const deadline: u64 = req.deadlineMs >= 0 ? <u64>req.deadlineMs : window + tail;
  if (deadline < window) {
    out.status = 400;
    out.body = '{"error":"deadline_ms (' + deadline.toString() + ') is before the end of window_ms (' + window.toString() + ')"}';
    return out;
  }
  out.changed = true;
  const e = newEntry(table, req.scope, nowMs, window, grace, deadline, SOURCE_OPERATOR);
  out.body = '{"action":"started","drain":' + e.toJson() + "}";
  return out;
}

/** Envoy drains: start an all-services drain unless one is active, or one was already started
 *  for this stage of Envoy's drain (an operator who cancelled it keeps it cancelled). The
 *  stages are health checks failing (`shutdown` false) and listeners stopped or draining
 *  (`shutdown` true): a cancelled health-check drain does not hide the shutdown that follows,
 *  whose websockets would otherwise all drop together when the process exits. Returns whether
 *  the table changed. */
export function applyEnvoyDraining(table: DrainTable, timing: DrainTiming, nowMs: u64, shutdown: bool = false): bool {
  const existing = table.find(ALL_SERVICES);
  if (existing != null) {
    if (!existing.cancelled) return false;
    if (existing.source == SOURCE_ENVOY_SHUTDOWN) return false;
    if (existing.source == SOURCE_ENVOY && !shutdown) return false;
  }
  newEntry(table, ALL_SERVICES, nowMs, timing.windowMs, timing.graceMs, timing.deadlineMs, shutdown ? SOURCE_ENVOY_SHUTDOWN : SOURCE_ENVOY);
  return true;
}

function newEntry(table: DrainTable, scope: string, nowMs: u64, window: u64, grace: u64, deadline: u64, source: string): DrainEntry {
  const e = new DrainEntry();
  e.scope = scope;
  e.generation = table.nextGeneration();
  e.startedAtMs = nowMs;
  e.windowMs = window;
  e.graceMs = grace;
  e.deadlineMs = deadline;
  e.source = source;
  table.put(e);
  return e;
}
