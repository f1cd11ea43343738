// Trigger 1: Envoy drains. Wasm has no drain callback and no drain property, so the root's tick
// asks Envoy's admin /stats through a cluster pointing at the admin listener
// (proxy_http_call: source/extensions/common/wasm/context.cc, Context::httpCall). A lease in
// shared data lets one worker VM poll per period; whichever sees the drain starts it by CAS, and
// every VM acts on the shared table.
import { utf8Encode } from "../../sdk/utf8";
import {
  BaseContext, HeaderPair, HttpCallHandler, getSharedData, setSharedData, WasmResult,
  httpCallResponseHeaders, httpCallResponseBody, logInfo,
} from "../../sdk";
import { ADMIN_STATS_PATH, parseAdminStats, STAT_DRAINING, STAT_EPOCH, STAT_STATE, STAT_STOPPED } from "./admin-stats";
import { currentMs } from "./clock";
import { AdminPoll } from "./config";
import { applyEnvoyDraining, DrainTiming } from "./control";
import { EditResult, TableCache, TableEdit, editSharedTable } from "./shared-table";
import { DrainTable, parseDecimal } from "./state";

export const POLL_LEASE_KEY = "drain_signal.admin_poll_next_ms";
/** server.hot_restart_epoch at this process's first answered poll. A hot restart child shuts the
 *  parent's admin down and serves the admin address itself (server.cc sendParentAdminShutdownRequest),
 *  so a higher epoch in a later reply means a newer process took over: this one is the parent. The
 *  child does that early in its start-up, before it serves; it asks the parent to stop its
 *  listeners only once its workers run (startWorkers -> drainParentListeners), and the parent's
 *  listener_stopped reaches the child's admin with the next stats merge (counters are imported).
 *  Signalling before that would send clients back to a parent still accepting. */
export const POLL_EPOCH_KEY = "drain_signal.admin_epoch";

class EnvoyDrainEdit extends TableEdit {
  constructor(readonly timing: DrainTiming, readonly nowMs: u64, readonly shutdown: bool) { super(); }
  apply(t: DrainTable): bool { return applyEnvoyDraining(t, this.timing, this.nowMs, this.shutdown); }
}

@final
export class AdminPoller extends HttpCallHandler {
  inFlight: bool = false;

  constructor(readonly admin: AdminPoll, readonly timing: DrainTiming, readonly cache: TableCache) { super(); }

  /** Creates the lease key at configure time (a set on a missing key ignores CAS). */
  static ensureLease(): void {
    if (getSharedData(POLL_LEASE_KEY).value == null) setSharedData(POLL_LEASE_KEY, utf8Encode("0"), 0);
  }

  /** Polls when this VM wins the lease for the current period. */
  maybePoll(ctx: BaseContext, nowMs: u64): void {
    if (this.inFlight) return;
    const lease = getSharedData(POLL_LEASE_KEY);
    const next = lease.value == null ? 0 : parseDecimal(String.UTF8.decode(lease.value!, false));
    if (next > 0 && <u64>next > nowMs) return;
    const r = setSharedData(POLL_LEASE_KEY, utf8Encode((nowMs + this.admin.pollMs).toString()), lease.cas);
    if (r != WasmResult.Ok) return;   // another worker took this period
    const headers: HeaderPair[] = [
      new HeaderPair(":method", "GET"),
      new HeaderPair(":path", ADMIN_STATS_PATH),
      new HeaderPair(":authority", this.admin.authority),
    ];
    const token = ctx.httpCall(this.admin.cluster, headers, null, [], this.admin.timeoutMs, this);
    if (token == 0) {
      this.cache.warn("drain-signal: admin poll: cluster \"" + this.admin.cluster + "\" refused the call (is it defined?)");
      return;
    }
    this.inFlight = true;
  }

  onResponse(ctx: BaseContext, token: u32, numHeaders: u32, bodySize: usize, numTrailers: u32): void {
    this.inFlight = false;
    if (numHeaders == 0) {
      this.cache.warn("drain-signal: admin poll through cluster \"" + this.admin.cluster + "\" failed (timeout, reset or no endpoint)");
      return;
    }
    const status = httpCallResponseHeaders.get(":status");
    if (status != "200") {
      this.cache.warn("drain-signal: admin poll through cluster \"" + this.admin.cluster + "\" answered " + (status == null ? "no status" : status!));
      return;
    }
    const body = httpCallResponseBody.getText();
    const s = parseAdminStats(body);
    if (s.error.length > 0) { this.cache.warn("drain-signal: admin poll: " + s.error); return; }
    // A hot restart's parent, once its listeners are stopped, is going away: shut down, as with
    // stopped listeners in epoch 0.
    const parentOfNewer = newerEpoch(s.hotRestartEpoch) && s.listenersStopped > 0;
    if (!s.draining && !parentOfNewer) return;
    const now = currentMs();
    if (editSharedTable(this.cache, new EnvoyDrainEdit(this.timing, now, s.shuttingDown || parentOfNewer)) == EditResult.Written) {
      logInfo("drain-signal: Envoy drains (" + STAT_DRAINING + " " + s.listenersDraining.toString() +
        ", " + STAT_STOPPED + " " + s.listenersStopped.toString() +
        ", " + STAT_STATE + " " + s.serverState.toString() + ", " + STAT_EPOCH + " " + s.hotRestartEpoch.toString() +
        "): drain of all services started");
    }
  }
}

/** Records the first epoch seen (shared by every VM of this process); true once a higher one answers. */
function newerEpoch(epoch: i64): bool {
  if (epoch < 0) return false;
  const seen = getSharedData(POLL_EPOCH_KEY);
  if (seen.value == null) { setSharedData(POLL_EPOCH_KEY, utf8Encode(epoch.toString()), 0); return false; }
  return epoch > parseDecimal(String.UTF8.decode(seen.value!, false));
}
