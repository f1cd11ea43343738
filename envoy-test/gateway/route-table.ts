// Route selection as Envoy's router config does it (source/common/router/config_impl.cc:
// RouteMatcher::findVirtualHost, VirtualHostImpl::getRouteFromEntries, RouteEntryImplBase::matchRoute).
import type { HeaderList } from "../host/index.ts";
import type { HeaderMatcher, RouteConfig, RouteTableConfig, VirtualHostConfig } from "./config-model.ts";
import { headerValue as get } from "./http1.ts";
import { asciiLower } from "../host/ascii.ts";

/** A route with what its match and finalizeRequestHeaders need, worked out once at configure time. */
interface CompiledRoute {
  route: RouteConfig;
  /** match.prefix / match.path, lower-cased when case_sensitive is false */
  prefix?: string; path?: string;
  /** request_headers_to_remove of the route, its virtual host and the table (router.cc finalizeRequestHeaders) */
  remove: ReadonlySet<string>;
}

export interface RouteMatch { vh: VirtualHostConfig; route: RouteConfig; remove: ReadonlySet<string> }

export class RouteTable {
  private readonly compiled = new Map<VirtualHostConfig, CompiledRoute[]>();

  constructor(readonly config: RouteTableConfig) {
    for (const vh of config.virtualHosts) {
      this.compiled.set(vh, vh.routes.map((route) => {
        const m = route.match;
        const fold = (s: string | undefined): string | undefined => (s === undefined || m.caseSensitive ? s : asciiLower(s));
        return {
          route, prefix: fold(m.prefix), path: fold(m.path),
          remove: new Set([...route.requestHeadersToRemove, ...vh.requestHeadersToRemove, ...config.requestHeadersToRemove]),
        };
      }));
    }
  }

  /**
   * Domain search order (route_components.proto VirtualHost.domains): exact names, then suffix
   * wildcards ("*.foo.com"), then prefix wildcards ("foo.*"), longest first, then "*".
   * Hosts compare case-insensitively; a port in :authority is part of the host unless a domain
   * without it matches nothing (Envoy matches "host:port" literally by default).
   */
  findVirtualHost(authority: string): VirtualHostConfig | undefined {
    const host = asciiLower(authority);
    let bestSuffix: { vh: VirtualHostConfig; len: number } | undefined;
    let bestPrefix: { vh: VirtualHostConfig; len: number } | undefined;
    let any: VirtualHostConfig | undefined;
    for (const vh of this.config.virtualHosts) {
      for (const d of vh.domains) {
        if (d === "*") { any ??= vh; continue; }
        if (d === host) return vh;
        if (d.startsWith("*") && host.endsWith(d.slice(1)) && host.length > d.length - 1) {
          if (!bestSuffix || d.length > bestSuffix.len) bestSuffix = { vh, len: d.length };
        } else if (d.endsWith("*") && host.startsWith(d.slice(0, -1)) && host.length > d.length - 1) {
          if (!bestPrefix || d.length > bestPrefix.len) bestPrefix = { vh, len: d.length };
        }
      }
    }
    return bestSuffix?.vh ?? bestPrefix?.vh ?? any;
  }

  /** The first route of the virtual host whose match accepts the request, in config order. */
  match(headers: HeaderList): RouteMatch | undefined {
    const authority = get(headers, ":authority") ?? "";
    const vh = this.findVirtualHost(authority);
    if (!vh) return undefined;
    const fullPath = get(headers, ":path") ?? "/";
    // Path matching ignores the query string (config_impl.cc: PathRouteEntryImpl uses the path
    // without query when matching).
    const q = fullPath.search(/[?#]/);
    const path = q < 0 ? fullPath : fullPath.slice(0, q);
    let folded: string | undefined;
    for (const c of this.compiled.get(vh)!) {
      const m = c.route.match;
      const p = m.caseSensitive ? path : (folded ??= asciiLower(path));
      if (c.prefix !== undefined) {
        if (!p.startsWith(c.prefix)) continue;
      } else if (c.path !== undefined) {
        if (p !== c.path) continue;
      }
      if (!m.headers.every((hm) => headerMatches(hm, headers))) continue;
      return { vh, route: c.route, remove: c.remove };
    }
    return undefined;
  }
}

/** config/route/v3 HeaderMatcher (source/common/http/header_utility.cc matchHeaders). */
export function headerMatches(hm: HeaderMatcher, headers: HeaderList): boolean {
  const values = headers.filter(([k]) => k === hm.name).map(([, v]) => v);
  // Multiple values are matched joined with "," (header_utility.cc getAllOfHeaderAsString).
  const value = values.length ? values.join(",") : undefined;
  let ok: boolean;
  if (hm.present !== undefined) ok = (value !== undefined) === hm.present;
  else if (value === undefined) return false; // absent headers never match a value matcher, even inverted
  else {
    const v = hm.ignoreCase ? asciiLower(value) : value;
    const cmp = (s: string): string => (hm.ignoreCase ? asciiLower(s) : s);
    if (hm.exact !== undefined) ok = v === cmp(hm.exact);
    else if (hm.prefix !== undefined) ok = v.startsWith(cmp(hm.prefix));
    else if (hm.suffix !== undefined) ok = v.endsWith(cmp(hm.suffix));
    else if (hm.contains !== undefined) ok = v.includes(cmp(hm.contains));
    else if (hm.regex !== undefined) ok = hm.regex.test(value);
    else ok = true; // name only: presence
  }
  return hm.invert ? !ok : ok;
}
