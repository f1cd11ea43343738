// Messages between the hot restarter and its epochs (restarter.ts, epoch.ts). The request kinds
// are the cases of Envoy's HotRestartMessage.Request (source/server/hot_restart.proto:
// pass_listen_socket, shutdown_admin, stats, drain_listeners, terminate).
import type { SocketAddress } from "../config-model.ts";
import type { ParentStats } from "./stat-merger.ts";

export type Peer = "parent" | "child";

export interface HotRestartMessage {
  /** to: an epoch asks the restarter to relay to its neighbour; from: relayed; reply: an answer
   *  to a request (relayed back); started/failed: an epoch reports to the restarter; stray: a
   *  connection the restarter accepted while passing a socket; parent-gone: the parent exited. */
  hr: "to" | "from" | "reply" | "started" | "failed" | "stray" | "parent-gone";
  peer?: Peer;
  kind?: "shutdown-admin" | "pass-listen-socket" | "stats" | "drain-listeners" | "terminate";
  id?: number;
  name?: string;
  address?: SocketAddress;
  configuredPort?: number;
  found?: boolean;
  originalStartTimeMs?: number;
  stats?: ParentStats;
  epoch?: number;
  pid?: number;
  listeners?: string[];
  admin?: string;
  error?: string;
}

export interface EpochOptions {
  configPath: string;
  epoch: number;
  parentAlive: boolean;
  drainTimeS: number;
  parentShutdownTimeS: number;
  drainStrategy: string;
  baseId: number;
  originalStartTimeMs?: number;
}
