// Detecting that Envoy itself drains. Wasm has no drain callback and no drain property, so the
// root context polls Envoy's admin /stats through a cluster that points at the admin listener.
// The filter value is percent-encoded: Envoy decodes it (source/server/admin/stats_params.cc,
// StatsParams::parse -> Http::Utility::QueryParamsMulti::parseAndDecodeQueryString) and matches
// it as an RE2 regex against each stat name.
//   ^(listener_manager\.(total_listeners_draining|listener_stopped)|server\.(state|hot_restart_epoch))$
export const ADMIN_STATS_PATH =
  "/stats?filter=%5E%28listener_manager%5C.%28total_listeners_draining%7Clistener_stopped%29%7Cserver%5C.%28state%7Chot_restart_epoch%29%29%24";

// The stat names read, each kept once in the module (the error and log lines name them too).
export const STAT_DRAINING = "listener_manager.total_listeners_draining";
export const STAT_STOPPED = "listener_manager.listener_stopped";
export const STAT_STATE = "server.state";
export const STAT_EPOCH = "server.hot_restart_epoch";

/** server.state values (envoy/admin/v3/server_info.proto, ServerInfo.State). */
export const SERVER_STATE_LIVE: i64 = 0;
export const SERVER_STATE_DRAINING: i64 = 1;

@final
export class AdminDrainStatus {
  listenersDraining: i64 = -1;   // -1: the stat was not in the reply
  listenersStopped: i64 = -1;
  serverState: i64 = -1;
  /** server.hot_restart_epoch of the process that answered (NeverImport: its own --restart-epoch) */
  hotRestartEpoch: i64 = -1;
  error: string = "";

  /** Envoy is draining:
   *  - a listener drains after removal over LDS (listener_manager_impl.cc drainListener moves
   *    total_listeners_draining);
   *  - listeners were stopped (POST /drain_listeners, or at the end of ?graceful:
   *    ListenerManagerImpl::stopListeners counts listener_stopped), in epoch 0 only: a hot
   *    restart child imports its parent's counters (HotRestartingParent::Internal::
   *    exportStatsToChild), so its listener_stopped counts the parent's stopped listeners;
   *  - the server fails health checks (POST /healthcheck/fail; server.state becomes DRAINING,
   *    source/server/utils.cc serverState). */
  get draining(): bool {
    return this.shuttingDown || this.serverState == SERVER_STATE_DRAINING;
  }

  /** Listeners stopped or draining: the process is going away, not only out of rotation. */
  get shuttingDown(): bool {
    return this.listenersDraining > 0 || (this.listenersStopped > 0 && this.hotRestartEpoch <= 0);
  }
}

/** Parses Envoy's text stats format: one "name: value" per line (source/server/admin/
 *  stats_render.cc, StatsTextRender). Other lines (histograms "name: P0(...)", blank) are
 *  skipped. Sets error when neither stat is present, so a wrong cluster (answering some other
 *  page) is reported instead of silently meaning "not draining". */
export function parseAdminStats(text: string): AdminDrainStatus {
  const r = new AdminDrainStatus();
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i];
    if (line.endsWith("\r")) line = line.substring(0, line.length - 1);
    const colon = line.indexOf(": ");
    if (colon < 0) continue;
    const name = line.substring(0, colon);
    const value = parseSigned(line.substring(colon + 2));
    if (value == i64.MIN_VALUE) continue;
    if (name == STAT_DRAINING) r.listenersDraining = value;
    else if (name == STAT_STOPPED) r.listenersStopped = value;
    else if (name == STAT_STATE) r.serverState = value;
    else if (name == STAT_EPOCH) r.hotRestartEpoch = value;
  }
  if (r.listenersDraining < 0 && r.listenersStopped < 0 && r.serverState < 0) {
    r.error = "admin reply has none of " + STAT_DRAINING + ", " + STAT_STOPPED + ", " + STAT_STATE;
  }
  return r;
}

function parseSigned(s: string): i64 {
  const n = s.length;
  if (n == 0 || n > 19) return i64.MIN_VALUE;
  let i = 0;
  let neg = false;
  if (s.charCodeAt(0) == 0x2d) { neg = true; i = 1; if (n == 1) return i64.MIN_VALUE; }
  let v: i64 = 0;
  for (; i < n; i++) {
    const c = s.charCodeAt(i) - 0x30;
    if (c < 0 || c > 9) return i64.MIN_VALUE;
    v = v * 10 + c;
  }
  return neg ? -v : v;
}
