// Root id `conn_accounting`: the HTTP filter that counts websockets per service and enforces
// the per-service and per-key limits. See README.md for configuration, stats and keys.
import {
  RootContext, HttpContext, FilterHeadersStatus, FilterDataStatus, HeaderPair,
  requestHeaders, responseHeaders, requestBody, responseBody, freeBytes, Buffer,
  sendLocalResponse, currentTimeNanos, log, LogLevel,
} from "../../sdk";
import { FrameReader } from "../../sdk/websocket";
import { HttpConfig, parseHttpConfig, configError } from "./config";
import { acquire, release, Acquire, lastCountError } from "./counts";
import { RESERVED, KEY, ACTIVE, ENDED, toRelease, upgradeSucceeded, parseStatus, isWebsocketUpgrade } from "./lifecycle";
import { statSegment, queryParam } from "./names";
import { retryAfterSeconds } from "./jitter";
import { sharedStore } from "./shared-store";
import { Service, ServiceTable } from "./service";

/** The header ws-router sets (DESIGN.md, "Data flow"). */
const SERVICE_HEADER = "x-wss-service";
const REJECT_DETAILS = "wss_cx_limit";
const REJECT_BODY = "connection limit reached; retry after the time in Retry-After\n";
const FLUSH_PERIOD_MS: u32 = 1000;

export class AccountingRoot extends RootContext {
  config: HttpConfig = new HttpConfig();
  services: ServiceTable | null = null;
  /** Seed for Retry-After jitter: advanced per rejection so rejections in one instant differ. */
  seed: u64 = 0;

  onConfigure(size: usize): bool {
    const c = parseHttpConfig(this.pluginConfiguration());
    if (c == null) {
      log(LogLevel.Error, "conn_accounting: bad configuration: " + configError);
      return false;
    }
    this.config = c;
    this.services = new ServiceTable(c.fallbackService, c.defaultMaxActive, c.defaultMaxActivePerKey,
                                     c.services, c.maxServices);
    this.seed = currentTimeNanos() ^ (<u64>this.contextId << 32);
    this.setTickPeriod(FLUSH_PERIOD_MS);
    return true;
  }

  onTick(): void {
    const t = this.services;
    if (t != null) t.flushAll();
  }

  newHttpContext(contextId: u32): HttpContext | null {
    return new AccountingStream(contextId, this);
  }
}

// Per-websocket state: flags (1 byte), the service, the per-key slot name (only when a
// per-key limit applies), one frame reader each way (only after the 101, only with
// count_frames). Everything else lives in the root and the Service.
export class AccountingStream extends HttpContext {
  flags: u8 = 0;
  service: Service | null = null;
  keySlot: string | null = null;
  rx: FrameReader | null = null;
  tx: FrameReader | null = null;

  constructor(contextId: u32, readonly accounting: AccountingRoot) {
    super(contextId, accounting);
  }

  onRequestHeaders(numHeaders: u32, endOfStream: bool): FilterHeadersStatus {
    const upgrade = requestHeaders.get("upgrade");
    if (upgrade == null || !isWebsocketUpgrade(upgrade)) return FilterHeadersStatus.Continue;
    const root = this.accounting;
    const table = root.services;
    if (table == null) return FilterHeadersStatus.Continue;
    const named = requestHeaders.get(SERVICE_HEADER);
    const svc = table.lookup(named == null ? "" : statSegment(named));
    this.service = svc;

    // Reserve before the request goes on, so no upstream connection is made over the limit.
    const got = acquire(sharedStore, svc.countKey, svc.maxActive);
    if (got != Acquire.Ok) return this.reject(svc, got, svc.countKey);
    this.flags |= RESERVED;

    if (svc.maxActivePerKey > 0) {
      const key = this.limitKey();
      if (key != null && key.length > 0) {
        const slot = svc.keySlot(key);
        const k = acquire(sharedStore, slot, svc.maxActivePerKey);
        if (k != Acquire.Ok) {
          this.end();            // gives the service slot back before answering 503
          return this.reject(svc, k, slot);
        }
        this.keySlot = slot;
        this.flags |= KEY;
      }
    }
    return FilterHeadersStatus.Continue;
  }

  onResponseHeaders(numHeaders: u32, endOfStream: bool): FilterHeadersStatus {
    const svc = this.service;
    if (svc == null) return FilterHeadersStatus.Continue;
    const status = responseHeaders.get(":status");
    if (status != null && upgradeSucceeded(this.flags, parseStatus(status))) {
      this.flags |= ACTIVE;
      svc.cxActive.add(1);
      svc.cxTotal.increment(1);
      if (this.accounting.config.countFrames) {
        this.rx = new FrameReader();
        this.tx = new FrameReader();
      }
    }
    return FilterHeadersStatus.Continue;
  }

  onRequestBody(bodySize: usize, endOfStream: bool): FilterDataStatus {
    const svc = this.service;
    if (svc != null && (this.flags & (ACTIVE | ENDED)) == ACTIVE) {
      svc.pendingRxBytes += bodySize;
      const r = this.rx;
      if (r != null) {
        const n = countFrames(r, requestBody, bodySize);
        if (n < 0) { this.rx = null; frameError("client", svc, r); } else svc.pendingRxFrames += <u64>n;
      }
    }
    return FilterDataStatus.Continue;
  }

  onResponseBody(bodySize: usize, endOfStream: bool): FilterDataStatus {
    const svc = this.service;
    if (svc != null && (this.flags & (ACTIVE | ENDED)) == ACTIVE) {
      svc.pendingTxBytes += bodySize;
      const r = this.tx;
      if (r != null) {
        const n = countFrames(r, responseBody, bodySize);
        if (n < 0) { this.tx = null; frameError("server", svc, r); } else svc.pendingTxFrames += <u64>n;
      }
    }
    return FilterDataStatus.Continue;
  }

  // Any of the three may come first (lifecycle.ts); end() acts once.
  onDone(): bool { this.end(); return true; }
  onLog(): void { this.end(); }
  onDelete(): void { this.end(); }

  /** Releases whatever this stream holds, exactly once. */
  end(): void {
    const held = toRelease(this.flags);
    this.flags |= ENDED;
    this.rx = null;
    this.tx = null;
    const svc = this.service;
    if (held == 0 || svc == null) return;
    if ((held & ACTIVE) != 0) {
      svc.cxActive.add(-1);
      svc.flush();
    }
    if ((held & RESERVED) != 0 && release(sharedStore, svc.countKey) < 0) {
      log(LogLevel.Error, "conn_accounting: " + lastCountError);
    }
    const slot = this.keySlot;
    if ((held & KEY) != 0 && slot != null && release(sharedStore, slot) < 0) {
      log(LogLevel.Error, "conn_accounting: " + lastCountError);
    }
    this.keySlot = null;
  }

  private limitKey(): string | null {
    const c = this.accounting.config;
    if (c.limitKeyHeader.length > 0) return requestHeaders.get(c.limitKeyHeader);
    if (c.limitKeyQuery.length > 0) {
      const path = requestHeaders.get(":path");
      return path == null ? null : queryParam(path, c.limitKeyQuery);
    }
    return null;
  }

  private reject(svc: Service, why: Acquire, key: string): FilterHeadersStatus {
    svc.cxRejected.increment(1);
    if (why == Acquire.Failed) log(LogLevel.Error, "conn_accounting: rejecting, " + lastCountError);
    const root = this.accounting;
    root.seed += 0x9e3779b97f4a7c15;
    const secs = retryAfterSeconds(root.config.retryAfterS, root.config.retryAfterJitterS,
                                   root.seed ^ <u64>this.contextId);
    const headers: HeaderPair[] = [new HeaderPair("retry-after", secs.toString())];
    sendLocalResponse(503, REJECT_DETAILS, String.UTF8.encode(REJECT_BODY), headers);
    return FilterHeadersStatus.StopIteration;
  }
}

/** Frames completed in this chunk (read without copying), or -1 when the stream is not
 *  valid RFC 6455 framing (counting stops for that direction; bytes are still counted). */
function countFrames(r: FrameReader, buf: Buffer, size: usize): i32 {
  if (size == 0) return 0;
  const raw = buf.getRaw(0, size);
  if (raw == null) return 0;
  const n = r.scan(raw.ptr, raw.len);
  freeBytes(raw.ptr);
  return n;
}

function frameError(side: string, svc: Service, r: FrameReader): void {
  log(LogLevel.Warn, "conn_accounting: " + svc.name + ": " + side + " frames unreadable at byte " +
      r.errorOffset.toString() + "; frame counting stops for this direction");
}
