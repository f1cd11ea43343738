// ws-router (root id `ws_router`): sends each websocket upgrade to its service's cluster.
//
//   request headers ──► one pass over the pairs (1 hostcall)
//        │                 ├─ not an upgrade ........... 404
//        │                 ├─ malformed upgrade ........ 400 + reason, wss.router.bad_request
//        │                 └─ no route for host+path ... 404, wss.router.no_route
//        └─► remove client copies of internal headers (only those present)
//            set x-wss-service, x-wss-cluster (2 hostcalls) ──► Continue
//
// The route uses `cluster_header: x-wss-cluster`; Envoy re-evaluates the route after a Wasm
// request-header change (context.cc replaceHeaderMapValue -> clearRouteCache).
export * from "../../sdk/exports";
import {
  Counter, FilterHeadersStatus, HeaderPair, HttpContext, RootContext, logDebug, logError,
  registerRootContext, requestHeaders, sendLocalResponseText,
} from "../../sdk";
import { RouterConfig, configError, parseRouterConfig } from "./config";
import { Handshake, UpgradeHeaders, checkHandshake, handshakeDetails, handshakeReason } from "./handshake";
import { queryParam } from "./shard";

const BODY_NOT_UPGRADE = "404 Not Found: this endpoint only accepts websocket upgrades\n";
const BODY_NO_ROUTE = "404 Not Found: no websocket service at this path\n";
const BODY_UNCONFIGURED = "500 Internal Server Error: ws_router has no configuration\n";

class WsRouterRoot extends RootContext {
  config: RouterConfig | null = null;
  noRoute: Counter | null = null;
  badRequest: Counter | null = null;
  // Per-request scratch, reused: a VM runs one callback at a time.
  upgrade: UpgradeHeaders = new UpgradeHeaders();
  strip: string[] = [];

  onConfigure(size: usize): bool {
    const c = parseRouterConfig(this.pluginConfiguration());
    if (c == null) {
      logError("ws_router: bad configuration: " + configError);
      return false;
    }
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

function findHeader(pairs: HeaderPair[], lowerName: string): string | null {
  for (let i = 0; i < pairs.length; i++) {
    const p = unchecked(pairs[i]);
    if (p.key == lowerName && p.value.length) return p.value;
  }
  return null;
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
    const pairs = requestHeaders.all();
    const h = root.upgrade;
    h.reset();
    const strip = root.strip;
    strip.length = 0;
    let path = "";
    let authority = "";
    for (let i = 0; i < pairs.length; i++) {
      const p = unchecked(pairs[i]);
      const k = p.key;
      if (k == ":path") path = p.value;
      else if (k == ":authority") authority = p.value;
      else if (k == ":method") h.method = p.value;
      else if (k == "upgrade") h.upgrade = p.value;
      else if (k == "connection") h.connection = p.value;
      else if (k == "sec-websocket-key") {
        if (h.key !== null) h.duplicateKey = true;
        h.key = p.value;
      } else if (k == "sec-websocket-version") {
        if (h.version !== null) h.duplicateVersion = true;
        h.version = p.value;
      } else if (config.isInternal(k) && !strip.includes(k)) strip.push(k);
    }

    const verdict = checkHandshake(h);
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

    const index = config.table.match(authority, path);
    if (index < 0) {
      (<Counter>root.noRoute).increment(1);
      logDebug("ws_router: 404 no route for " + authority + path);
      sendLocalResponseText(404, "ws_router_no_route", BODY_NO_ROUTE, []);
      return FilterHeadersStatus.StopIteration;
    }
    const service = unchecked(config.services[index]);
    let cluster = service.cluster;
    const shards = service.shards;
    if (shards !== null) {
      let key: string | null = null;
      if (service.shardQuery.length) key = queryParam(path, service.shardQuery);
      if (key === null && service.shardHeader.length) key = findHeader(pairs, service.shardHeader);
      if (key !== null) cluster = shards.pick(key);
    }

    // Client copies first, then ours: a client never picks the service or the cluster.
    for (let i = 0; i < strip.length; i++) requestHeaders.remove(unchecked(strip[i]));
    requestHeaders.replace(config.serviceHeader, service.name);
    requestHeaders.replace(config.clusterHeader, cluster);
    return FilterHeadersStatus.Continue;
  }
}

registerRootContext("ws_router", (id: u32): RootContext => new WsRouterRoot(id));
