// The route table: (host, path prefix) -> service index, compiled once at configure time.
//
// Matching mirrors Envoy's route config: the host is compared lower-cased with any port removed
// (RouteMatcher::findVirtualHost lower-cases :authority; HCM strip_any_host_port drops ":port"),
// paths are case-sensitive, and a prefix matches on a path-segment boundary like
// route.RouteMatch.path_separated_prefix (PathSeparatedPrefixRouteEntryImpl::matches): "/apps"
// matches "/apps", "/apps/x" and "/apps?team=T1" but not "/appstore". A prefix ending in "/"
// matches any path that starts with it. Longest prefix wins; on equal prefixes a route naming
// the host wins over a route for any host.
import { asciiLower, codeAt } from "../../sdk/ascii";
import { regionEquals } from "./ascii";

@final
export class Route {
  constructor(
    readonly prefix: string,
    readonly service: i32,
    readonly anyHost: bool,
  ) {}
}

/** Prefix order: longer first; host-specific before any-host on equal length. */
function byPrecedence(a: Route, b: Route): i32 {
  if (a.prefix.length != b.prefix.length) return b.prefix.length - a.prefix.length;
  return (a.anyHost ? 1 : 0) - (b.anyHost ? 1 : 0);
}

@inline
function pathEnd(c: u32): bool {
  return c == 0x2f || c == 0x3f || c == 0x23; // '/', '?', '#'
}

/** `prefix` matches `path` on a segment boundary (see the file comment). */
export function prefixMatches(prefix: string, path: string): bool {
  const n = prefix.length;
  if (!regionEquals(path, 0, prefix)) return false;
  if (path.length == n) return true;
  if (codeAt(prefix, n - 1) == 0x2f) return true;
  return pathEnd(codeAt(path, n));
}

/** "Host:port" or "[v6]:port" -> host, lower-cased. */
export function normalizeHost(authority: string): string {
  let end = authority.length;
  for (let i = end - 1; i >= 0; i--) {
    const c = codeAt(authority, i);
    if (c == 0x3a) { end = i; break; }            // ':' before the port
    if (c < 0x30 || c > 0x39) break;              // not a port digit: no port
  }
  if (end < authority.length && codeAt(authority, 0) != 0x5b) {
    // IPv6 without brackets has several ':'; only strip when this is the sole one.
    if (authority.indexOf(":") != end) end = authority.length;
  }
  const host = end == authority.length ? authority : authority.substring(0, end);
  return asciiLower(host);
}

export class RouteTable {
  private anyHost: Route[] = [];
  private perHost: Map<string, Route[]> = new Map();
  private hostsSeen: string[] = [];
  /** Per host: its own routes and the any-host ones, in precedence order (built by compile). */
  private merged: Map<string, Route[]> = new Map();
  /** hostLists[i] is merged.get(hostsSeen[i]), for the lookup without hashing. */
  private hostLists: Route[][] = [];
  private compiled: bool = false;
  /** Routes as declared, for duplicate detection. */
  private declared: Route[] = [];
  private declaredHosts: string[][] = [];

  /**
   * Adds a route for `hosts` (empty: any host). Returns null, or the reason it conflicts with
   * an earlier route (same prefix for an overlapping host set), for the config error.
   */
  add(prefix: string, hosts: string[], service: i32): string | null {
    const any = hosts.length == 0;
    const lowered = new Array<string>(hosts.length);
    for (let i = 0; i < hosts.length; i++) lowered[i] = normalizeHost(hosts[i]);
    for (let r = 0; r < this.declared.length; r++) {
      const other = this.declared[r];
      if (other.prefix != prefix) continue;
      const otherHosts = this.declaredHosts[r];
      if (any && other.anyHost) return "duplicate prefix \"" + prefix + "\" for any host";
      for (let i = 0; i < lowered.length; i++) {
        if (otherHosts.includes(lowered[i])) {
          return "duplicate prefix \"" + prefix + "\" for host \"" + lowered[i] + "\"";
        }
      }
    }
    const route = new Route(prefix, service, any);
    this.declared.push(route);
    this.declaredHosts.push(lowered);
    if (any) {
      this.anyHost.push(route);
    } else {
      for (let i = 0; i < lowered.length; i++) {
        const h = lowered[i];
        if (!this.perHost.has(h)) {
          this.perHost.set(h, []);
          this.hostsSeen.push(h);
        }
        this.perHost.get(h).push(route);
      }
    }
    this.compiled = false;
    return null;
  }

  /** Sorts each host's list, merged with the any-host routes, by precedence. */
  compile(): void {
    this.anyHost.sort(byPrecedence);
    this.hostLists = [];
    this.merged = new Map();
    for (let i = 0; i < this.hostsSeen.length; i++) {
      const host = this.hostsSeen[i];
      const list = this.perHost.get(host).concat(this.anyHost);
      list.sort(byPrecedence);
      this.hostLists.push(list);
      this.merged.set(host, list);
    }
    this.compiled = true;
  }

  /** The service index of the best route for this request, or -1. */
  match(authority: string, path: string): i32 {
    assert(this.compiled, "RouteTable.match before compile()");
    let list = this.anyHost;
    const hosts = this.hostsSeen;
    if (hosts.length) {
      const host = normalizeHost(authority);
      if (hosts.length <= 8) {
        // A primary and a backup name or so: comparing beats hashing.
        for (let i = 0; i < hosts.length; i++) {
          if (unchecked(hosts[i]) == host) { list = unchecked(this.hostLists[i]); break; }
        }
      } else if (this.merged.has(host)) {
        list = this.merged.get(host);
      }
    }
    for (let i = 0; i < list.length; i++) {
      const r = unchecked(list[i]);
      if (prefixMatches(r.prefix, path)) return r.service;
    }
    return -1;
  }

  get size(): i32 {
    return this.declared.length;
  }
}
