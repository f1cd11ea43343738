// ws-router (root id `ws_router`): sends each websocket upgrade to its service's cluster.
//
//   request headers ──► one pass over the serialised pairs (1 hostcall, request-scan.ts)
//        │                 ├─ not an upgrade ........... 404
//        │                 ├─ malformed upgrade ........ 400 + reason, wss.router.bad_request
//        │                 └─ no route for host+path ... 404, wss.router.no_route
//        └─► set x-wss-service, x-wss-cluster (2 hostcalls) ──► Continue; when the client sent
//            internal headers: the whole map without them, plus ours (1 hostcall, linear)
//
// The routes match x-wss-cluster's value (one route per cluster); Envoy re-evaluates the route
// after a Wasm request-header change (context.cc replaceHeaderMapValue, setHeaderMapPairs ->
// clearRouteCache).
export * from "../../sdk/exports";
import {
  Counter, FilterHeadersStatus, HeaderPair, HttpContext, RootContext, logDebug, logError,
  registerRootContext, requestHeaders, sendLocalResponseText,
} from "../../sdk";
import { rejectConfiguration } from "../../sdk/config";
import { RouterConfig, parseRouterConfig } from "./config";
import { Handshake, checkHandshake, handshakeDetails, handshakeReason } from "./handshake";
import { RequestScan } from "./request-scan";
import { queryParam } from "./shard";

const BODY_NOT_UPGRADE = "404 Not Found: this endpoint only accepts websocket upgrades\n";
const BODY_NO_ROUTE = "404 Not Found: no websocket service at this path\n";
const BODY_UNCONFIGURED = "500 Internal Server Error: ws_router has no configuration\n";

class WsRouterRoot extends RootContext {
  config: RouterConfig | null = null;
  noRoute: Counter | null = null;
  badRequest: Counter | null = null;
  /** Per-request scratch, reused: a VM runs one callback at a time. */
  scan: RequestScan = new RequestScan();

  onConfigure(size: usize): bool {
    const c = parseRouterConfig(this.pluginConfiguration());
    if (c == null) return rejectConfiguration("ws_router");
    this.config = c;
    if (this.noRoute == null) {
      this.noRoute = new Counter("wss.router.no_route");
      this.badRequest = new Counter("wss.router.bad_request");
    }
    return true;
  }

  newHttpContext(contextId: u32): HttpContext | null {
    return new WsRouter(contextId, this);
  }
}

class WsRouter extends HttpContext {
  constructor(contextId: u32, readonly router: WsRouterRoot) {
    super(contextId, router);
  }

  onRequestHeaders(numHeaders: u32, endOfStream: bool): FilterHeadersStatus {
    const root = this.router;
    const config = root.config;
    if (config == null) {
      sendLocalResponseText(500, "ws_router_unconfigured", BODY_UNCONFIGURED, []);
      return FilterHeadersStatus.StopIteration;
    }
    const scan = root.scan;
    scan.read(config);
    const status = this.route(config, scan);
    scan.release();
    return status;
  }

  private route(config: RouterConfig, scan: RequestScan): FilterHeadersStatus {
    const root = this.router;
    const verdict = checkHandshake(scan.upgrade);
    if (verdict == Handshake.NotUpgrade) {
      sendLocalResponseText(404, "ws_router_not_upgrade", BODY_NOT_UPGRADE, []);
      return FilterHeadersStatus.StopIteration;
    }
    if (verdict != Handshake.Valid) {
      (<Counter>root.badRequest).increment(1);
      const reason = handshakeReason(verdict);
      logDebug("ws_router: 400 " + reason);
      // RFC 6455 4.4: a server refusing the version names the one it speaks.
      const headers = verdict == Handshake.BadVersion
        ? [new HeaderPair("sec-websocket-version", "13")]
        : new Array<HeaderPair>(0);
      sendLocalResponseText(400, handshakeDetails(verdict), reason, headers);
      return FilterHeadersStatus.StopIteration;
    }

    const path = scan.path;
    const index = config.table.match(scan.authority, path);
    if (index < 0) {
      (<Counter>root.noRoute).increment(1);
      logDebug("ws_router: 404 no route for " + scan.authority + path);
      sendLocalResponseText(404, "ws_router_no_route", BODY_NO_ROUTE, []);
      return FilterHeadersStatus.StopIteration;
    }
    const service = unchecked(config.services[index]);
    let cluster = service.clusterBytes;
    const shards = service.shards;
    if (shards !== null) {
      let key: string | null = null;
      if (service.shardQuery.length) key = queryParam(path, service.shardQuery);
      if (key === null && service.shardHeader.length) key = scan.value(service.shardHeaderBytes);
      if (key !== null) cluster = unchecked(service.shardClusterBytes[shards.pickIndex(key)]);
    }

    // Client copies go, then ours are set: a client never picks the service or the cluster.
    // Envoy before the http_set_copy_replace_all_headers change replaced only the first copy, so
    // duplicates are not left to replace.
    if (scan.internal > 0) {
      scan.replaceInternal(config, config.serviceHeaderBytes, service.nameBytes, config.clusterHeaderBytes, cluster);
    } else {
      requestHeaders.replaceBytes(config.serviceHeaderBytes, service.nameBytes);
      requestHeaders.replaceBytes(config.clusterHeaderBytes, cluster);
    }
    return FilterHeadersStatus.Continue;
  }
}

registerRootContext("ws_router", (id: u32): RootContext => new WsRouterRoot(id));
