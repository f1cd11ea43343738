// The root context of one worker VM: configuration, the VM's copy of the drain table, the admin
// poll, and the hard deadline. Each VM closes its own streams: a root can act on a stream only in
// its own VM (proxy_set_effective_context takes a context id of this VM: proxy-wasm-cpp-host
// src/exports.cc, set_effective_context).
import {
  RootContext, HttpContext, StreamType, closeStream, setEffectiveContext, logInfo, rejectConfiguration,
} from "../../sdk";
import { AdminPoller } from "./admin-poll";
import { currentMs } from "./clock";
import { DrainConfig, parseConfig } from "./config";
import { ServiceNames } from "./services";
import { TableCache, ensureSharedTable } from "./shared-table";
import { goingAwayFrame } from "./signal";
import { DrainStats } from "./stats";
import { DrainStream } from "./stream";

let stats: DrainStats | null = null;

export class DrainRoot extends RootContext {
  config: DrainConfig = new DrainConfig();
  readonly cache: TableCache = new TableCache();
  readonly services: ServiceNames = new ServiceNames();
  // Open websockets, oldest first: a list through the streams themselves (DrainStream.prev/next)
  // costs no memory outside them, where a Map<u32, DrainStream> took about 20 B per entry.
  private head: DrainStream | null = null;
  private tail: DrainStream | null = null;
  readonly closeFrame: ArrayBuffer = goingAwayFrame();
  poller: AdminPoller | null = null;

  get stats(): DrainStats { return stats!; }

  onConfigure(size: usize): bool {
    const parsed = parseConfig(this.pluginConfiguration());
    if (parsed.config == null) return rejectConfiguration("drain-signal", parsed.error);
    this.config = parsed.config!;
    this.services.configure(this.config);
    if (stats == null) stats = new DrainStats();
    ensureSharedTable();
    this.cache.refresh();
    const admin = this.config.admin;
    if (admin != null) {
      AdminPoller.ensureLease();
      this.poller = new AdminPoller(admin, this.config.timing, this.cache);
    } else this.poller = null;
    this.setTickPeriod(this.config.tickMs);
    return true;
  }

  onTick(): void {
    const now = currentMs();
    this.cache.refresh();
    const poller = this.poller;
    if (poller != null) poller.maybePoll(this, now);
    if (this.cache.anyActive) this.enforceDeadline(now);
    this.stats.state.set(<i64>this.cache.table.phaseAt(now));
  }

  /** At the hard deadline, resets every stream still open (Envoy: Context::closeStream ->
   *  decoder_callbacks_->resetStream(), deferred until the VM call returns). A websocket that
   *  never carried server->client bytes after its moment could not be signalled in a body
   *  callback; this is the only way to end it. */
  enforceDeadline(now: u64): void {
    let closed = 0;
    let s = this.head;
    while (s != null) {
      const next = s.next;
      const d = this.services.drainFor(s.service, this.cache);
      if (d != null && now >= d.deadlineAtMs && setEffectiveContext(s.contextId) == 0) {
        closeStream(StreamType.HttpRequest);
        this.stats.forcedClose.increment(1);
        this.untrack(s);
        closed++;
      }
      s = next;
    }
    if (closed > 0) {
      setEffectiveContext(this.contextId);
      logInfo("drain-signal: hard deadline: reset " + closed.toString() + " websocket stream(s)");
    }
  }

  track(s: DrainStream): void {
    s.prev = this.tail;
    s.next = null;
    if (this.tail != null) this.tail!.next = s; else this.head = s;
    this.tail = s;
    s.tracked = true;
    this.stats.unsignalled.add(1);
  }

  /** Once per tracked stream: it ended, or the root reset it. */
  untrack(s: DrainStream): void {
    if (!s.tracked) return;
    const prev = s.prev, next = s.next;
    if (prev != null) prev.next = next; else this.head = next;
    if (next != null) next.prev = prev; else this.tail = prev;
    s.prev = null;
    s.next = null;
    s.tracked = false;
    if (!s.signalled) this.stats.unsignalled.add(-1);
  }

  newHttpContext(contextId: u32): HttpContext | null {
    return new DrainStream(contextId, this);
  }
}
