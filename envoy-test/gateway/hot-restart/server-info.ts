// GET /server_info: envoy.admin.v3.ServerInfo in proto3 JSON (source/server/admin/server_info_handler.cc
// handlerServerInfo; api/envoy/admin/v3/server_info.proto), the fields that describe a hot restart:
// state, uptime_current_epoch, uptime_all_epochs (from the first epoch's start, which the child
// learns from the parent's admin-shutdown reply: HotRestartingParent::Internal::shutdownAdmin),
// hot_restart_version and command_line_options (restart_epoch, base_id, drain_time,
// parent_shutdown_time, drain_strategy, concurrency).
import type { DrainManager } from "../drain.ts";

export interface ServerInfoInput {
  workers: number;
  drain: DrainManager;
  startedMs: number;
  originalStartTimeMs: number;
  restartEpoch?: number;
  baseId?: number;
  drainTimeS?: number;
  parentShutdownTimeS?: number;
}

/** The gateway's stand-in for Envoy's hot restart version string (HotRestartImpl::hotRestartVersion). */
export const HOT_RESTART_VERSION = "proxy-wasm-as-gateway.1";

const seconds = (ms: number) => `${Math.floor(ms / 1000)}s`;

export function serverInfo(i: ServerInfoInput): object {
  const now = Date.now();
  return {
    version: "proxy-wasm-as local gateway",
    state: i.drain.stateName(),
    hot_restart_version: HOT_RESTART_VERSION,
    command_line_options: {
      base_id: String(i.baseId ?? 0),
      restart_epoch: i.restartEpoch ?? 0,
      concurrency: i.workers,
      drain_time: `${i.drainTimeS ?? 600}s`,
      parent_shutdown_time: `${i.parentShutdownTimeS ?? 900}s`,
      drain_strategy: i.drain.strategy === "immediate" ? "Immediate" : "Gradual",
      mode: "Serve",
    },
    uptime_current_epoch: seconds(now - i.startedMs),
    uptime_all_epochs: seconds(now - i.originalStartTimeMs),
  };
}
