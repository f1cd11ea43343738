// Server drain state, after source/server/drain_manager_impl.cc (DrainManagerImpl::drainClose,
// startDrainSequence) and source/server/utils.cc (serverState): health-check failure always
// drain-closes; a drain sequence drain-closes with probability elapsed / drain_time under the
// default "gradual" strategy, always under "immediate".
import type { Stats } from "../host/index.ts";

export type DrainStrategy = "gradual" | "immediate";

/** envoy.admin.v3.ServerInfo.State values, as the server.state gauge reports them. */
export const SERVER_STATE = { LIVE: 0, DRAINING: 1, PRE_INITIALIZING: 2, INITIALIZING: 3 } as const;

export class DrainManager {
  healthCheckFailed = false;
  private drainStartedAt: number | null = null;
  private drainTimer: NodeJS.Timeout | null = null;

  constructor(private readonly stats: Stats, readonly drainTimeMs: number, readonly strategy: DrainStrategy) {
    this.updateServerStats();
  }

  get draining(): boolean { return this.drainStartedAt !== null; }

  drainClose(): boolean {
    if (this.healthCheckFailed) return true;
    if (this.drainStartedAt === null) return false;
    if (this.strategy === "immediate" || this.drainTimeMs === 0) return true;
    const elapsed = Date.now() - this.drainStartedAt;
    if (elapsed >= this.drainTimeMs) return true;
    return elapsed > Math.random() * this.drainTimeMs;
  }

  /** Starts the drain sequence once; `onComplete` runs after drain time (Envoy's drain tick timer). */
  startDrainSequence(onComplete: () => void): void {
    if (this.drainStartedAt !== null) return;
    this.drainStartedAt = Date.now();
    this.drainTimer = setTimeout(onComplete, this.drainTimeMs);
    this.drainTimer.unref();
  }

  setHealthCheckFailed(failed: boolean): void {
    this.healthCheckFailed = failed;
    this.updateServerStats();
  }

  /** server.state (0 LIVE, 1 DRAINING, ...) and server.live, as server.cc updates them. */
  updateServerStats(): void {
    const state = this.healthCheckFailed ? SERVER_STATE.DRAINING : SERVER_STATE.LIVE;
    this.stats.gauge("server.state").set(state);
    this.stats.gauge("server.live").set(state === SERVER_STATE.LIVE ? 1 : 0);
  }

  stateName(): "LIVE" | "DRAINING" { return this.healthCheckFailed ? "DRAINING" : "LIVE"; }

  close(): void { if (this.drainTimer) clearTimeout(this.drainTimer); }
}
