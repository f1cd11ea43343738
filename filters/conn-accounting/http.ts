// Root id `conn_accounting`: the HTTP filter that counts websockets per service and enforces
// the per-service and per-key limits. See README.md for configuration, stats and keys.
import { utf8Encode } from "../../sdk/utf8";
import {
  RootContext, HttpContext, FilterHeadersStatus, FilterDataStatus, HeaderPair,
  requestHeaders, responseHeaders, requestBody, responseBody,
  sendLocalResponse, currentTimeNanos, log, LogLevel, getPropertyString,
} from "../../sdk";
import { isWebSocketUpgrade, negotiatesPermessageDeflate } from "../../sdk/websocket";
import { rejectConfiguration } from "../../sdk/config";
import { HttpConfig, parseHttpConfig } from "./config";
import { acquire, release, ensure, Acquire, lastCountError } from "./counts";
import { RESERVED, KEY, ACTIVE, ENDED, toRelease, upgradeSucceeded, parseStatus } from "./lifecycle";
import { statSegment, queryParam, fnv1a64, hostOfAddress } from "./names";
import { resetReader, allowDeflate, countChunk, lastErrorOffset } from "./frames";
import { retryAfterSeconds } from "./jitter";
import { sharedStore } from "./shared-store";
import { Service, ServiceTable } from "./service";

/** The header ws-router sets (docs/design.md, "Data flow"). */
const SERVICE_HEADER = "x-wss-service";
const REJECT_DETAILS = "wss_cx_limit";
const REJECT_BODY = "connection limit reached; retry after the time in Retry-After\n";
const FLUSH_PERIOD_MS: u32 = 1000;
const SOURCE_ADDRESS: string[] = ["source", "address"];

export class AccountingRoot extends RootContext {
  config: HttpConfig = new HttpConfig();
  services: ServiceTable | null = null;
  /** Seed for Retry-After jitter: advanced per rejection so rejections in one instant differ. */
  seed: u64 = 0;

  onConfigure(size: usize): bool {
    const c = parseHttpConfig(this.pluginConfiguration());
    if (c == null) return rejectConfiguration("conn_accounting");
    const table = new ServiceTable(c.fallbackService, c.defaultMaxActive, c.defaultMaxActivePerKey,
                                   c.services, c.maxServices);
    for (let i = 0; i < table.size; i++) {
      if (!ensure(sharedStore, table.at(i).countKey)) {
        log(LogLevel.Error, "conn_accounting: " + lastCountError);
        return false;
      }
    }
    this.config = c;
    this.services = table;
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

// Per-websocket state, inline in one object (no other allocation per stream):
//   contextId u32, root            4 + 4   (sdk HttpContext; root is the AccountingRoot)
//   service                        4
//   flags u8                       1 (+3)  (lifecycle.ts, plus RX_OFF / TX_OFF / NO_FRAMES)
//   keyHash u64                    8       (per-key slot, names.ts keyCountKey)
//   rx0..rx3, tx0..tx3 u64         32 + 32 (FrameReader state each way, frames.ts; before the
//                                          101, tx0/tx1 hold the early rx bytes and frames)
// 88 bytes of fields; with the 20-byte header a 112-byte TLSF block. The SDK's context table
// adds 4 to 11 bytes (sdk/context-table.ts): under 128 bytes per websocket, checked by
// test/unit/conn-accounting/layout.spec.ts and measured by bench/measure/conn-accounting.ts.
const RX_OFF: u8 = 16;   // client framing was invalid: stop counting that direction
const TX_OFF: u8 = 32;
const NO_FRAMES: u8 = 64; // count_frames is off, or the reader state was never set
const EARLY: u8 = 128;    // request bytes came before the 101: counted in tx0 (bytes), tx1 (frames)

export class AccountingStream extends HttpContext {
  service: Service | null = null;
  flags: u8 = NO_FRAMES;
  keyHash: u64 = 0;
  rx0: u64 = 0; rx1: u64 = 0; rx2: u64 = 0; rx3: u64 = 0;
  tx0: u64 = 0; tx1: u64 = 0; tx2: u64 = 0; tx3: u64 = 0;

  constructor(contextId: u32, accounting: AccountingRoot) {
    super(contextId, accounting);
  }

  /** The root, typed: newHttpContext of an AccountingRoot made this stream, so no check. */
  @inline get accounting(): AccountingRoot { return changetype<AccountingRoot>(this.root); }

  @inline private rxState(): usize { return changetype<usize>(this) + offsetof<AccountingStream>("rx0"); }
  @inline private txState(): usize { return changetype<usize>(this) + offsetof<AccountingStream>("tx0"); }

  onRequestHeaders(numHeaders: u32, endOfStream: bool): FilterHeadersStatus {
    // Only what Envoy takes for a websocket (Utility::isWebSocketUpgradeRequest) is counted.
    if (!isWebSocketUpgrade(requestHeaders.get("upgrade"), requestHeaders.get("connection"))) return FilterHeadersStatus.Continue;
    const root = this.accounting;
    const table = root.services;
    if (table == null) return FilterHeadersStatus.Continue;
    const named = requestHeaders.get(SERVICE_HEADER);
    const svc = table.lookup(named == null ? "" : statSegment(named));
    this.service = svc;

    // Reserve before the request goes on, so no upstream connection is made over the limit.
    // Shared data is per process; the cx_reserved gauge is Accumulate, so after a hot restart it
    // also holds the parent's reservations as of the last stats merge (Envoy StatMerger), and
    // the limit covers both processes. It moves before the count here and after it in end(), so
    // it never reads below the count.
    svc.cxReserved.add(1);
    const got = acquire(sharedStore, svc.countKey, svc.maxActive, <i64>svc.cxReserved.get() - 1);
    if (got != Acquire.Ok) { svc.cxReserved.add(-1); return this.reject(svc, got); }
    this.flags |= RESERVED;

    if (svc.maxActivePerKey > 0) {
      const key = this.limitKey();
      if (key != null && key.length > 0) {
        const hash = fnv1a64(key);
        const slot = svc.keySlot(hash);
        const k = acquire(sharedStore, slot, svc.maxActivePerKey);
        if (k != Acquire.Ok) {
          this.end();            // gives the service slot back before answering 503
          return this.reject(svc, k);
        }
        this.keyHash = hash;
        this.flags |= KEY;
      }
    }
    if (root.config.countFrames) {
      // Bytes may follow the request before the 101 (a client that does not wait, or frames in
      // the same write): Envoy passes them to decodeData at once. RSV1 is allowed until the 101
      // settles permessage-deflate (no header read here: the hot path keeps its hostcalls).
      resetReader(this.rxState(), true);
      this.flags &= ~NO_FRAMES;
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
      if ((this.flags & EARLY) != 0) {
        // What came before the 101 was the websocket's first client bytes after all.
        svc.pendingRxBytes += this.tx0;
        svc.pendingRxFrames += this.tx1;
      }
      if ((this.flags & NO_FRAMES) == 0) {
        const deflate = negotiatesPermessageDeflate(responseHeaders.get("sec-websocket-extensions"));
        allowDeflate(this.rxState(), deflate);
        resetReader(this.txState(), deflate);
      }
    }
    return FilterHeadersStatus.Continue;
  }

  onRequestBody(bodySize: usize, endOfStream: bool): FilterDataStatus {
    const svc = this.service;
    const state = this.flags & (RESERVED | ACTIVE | ENDED);
    // Counted from the reservation on (ACTIVE is only ever set on a reserved stream), until end().
    if (svc == null || (state & ENDED) != 0 || state == 0) return FilterDataStatus.Continue;
    let frames: u64 = 0;
    if ((this.flags & (RX_OFF | NO_FRAMES)) == 0) {
      const n = countChunk(this.rxState(), requestBody, bodySize);
      if (n < 0) { this.flags |= RX_OFF; frameError("client", svc); } else frames = <u64>n;
    }
    if ((state & ACTIVE) != 0) {
      svc.pendingRxBytes += bodySize;
      svc.pendingRxFrames += frames;
    } else {
      // Before the 101: held until the upgrade succeeds (dropped if it does not; then these
      // bytes were an HTTP request body, not websocket frames).
      this.tx0 += bodySize;
      this.tx1 += frames;
      this.flags |= EARLY;
    }
    return FilterDataStatus.Continue;
  }

  onResponseBody(bodySize: usize, endOfStream: bool): FilterDataStatus {
    const svc = this.service;
    if (svc != null && (this.flags & (ACTIVE | ENDED)) == ACTIVE) {
      svc.pendingTxBytes += bodySize;
      if ((this.flags & (TX_OFF | NO_FRAMES)) == 0) {
        const n = countChunk(this.txState(), responseBody, bodySize);
        if (n < 0) { this.flags |= TX_OFF; frameError("server", svc); } else svc.pendingTxFrames += <u64>n;
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
    const svc = this.service;
    if (held == 0 || svc == null) return;
    if ((held & ACTIVE) != 0) {
      svc.cxActive.add(-1);
      svc.flush();
    }
    if ((held & RESERVED) != 0) {
      if (release(sharedStore, svc.countKey) < 0) log(LogLevel.Error, "conn_accounting: " + lastCountError);
      svc.cxReserved.add(-1);
    }
    if ((held & KEY) != 0 && release(sharedStore, svc.keySlot(this.keyHash)) < 0) {
      log(LogLevel.Error, "conn_accounting: " + lastCountError);
    }
  }

  /** The per-key limit's key. By default the client's address as Envoy sees it (the
   *  source.address property: the downstream remote address, which Envoy takes from
   *  X-Forwarded-For only as use_remote_address / xff_num_trusted_hops say), which a client
   *  cannot choose. A header or query key is read only when configured, and is only as
   *  trustworthy as whatever in front of Envoy sets it. */
  private limitKey(): string | null {
    const c = this.accounting.config;
    if (c.limitKeyHeader.length > 0) return requestHeaders.get(c.limitKeyHeader);
    if (c.limitKeyQuery.length > 0) {
      const path = requestHeaders.get(":path");
      return path == null ? null : queryParam(path, c.limitKeyQuery);
    }
    const address = getPropertyString(SOURCE_ADDRESS);
    return address == null ? null : hostOfAddress(address);
  }

  private reject(svc: Service, why: Acquire): FilterHeadersStatus {
    svc.cxRejected.increment(1);
    if (why == Acquire.Failed) log(LogLevel.Error, "conn_accounting: rejecting, " + lastCountError);
    const root = this.accounting;
    root.seed += 0x9e3779b97f4a7c15;
    const secs = retryAfterSeconds(root.config.retryAfterS, root.config.retryAfterJitterS,
                                   root.seed ^ <u64>this.contextId);
    const headers: HeaderPair[] = [new HeaderPair("retry-after", secs.toString())];
    sendLocalResponse(503, REJECT_DETAILS, utf8Encode(REJECT_BODY), headers);
    return FilterHeadersStatus.StopIteration;
  }
}

function frameError(side: string, svc: Service): void {
  log(LogLevel.Warn, "conn_accounting: " + svc.name + ": " + side + " frames unreadable at byte " +
      lastErrorOffset().toString() + "; frame counting stops for this direction");
}
