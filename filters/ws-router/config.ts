// Plugin configuration of root id `ws_router`, parsed strictly (sdk/config.ts): an unknown key,
// a wrong type or a bad value fails on_configure with the key's path in the error. Every key, its
// type and default is listed in README.md ("Configuration"). Everything a request needs is
// compiled here once: header names lower-cased, the route table sorted, shard seeds hashed.
import { ConfigReader, configError, failConfig, startConfig } from "../../sdk/config";
import { JsonValue, lastJsonError, parseJson } from "../../sdk/json";
import { asciiLower, codeAt, startsWithLower } from "../../sdk/ascii";
import { RouteTable } from "./routes";
import { ShardSet } from "./shard";

/** Every header with this prefix is the filters' own namespace: a client copy is always removed. */
export const INTERNAL_PREFIX = "x-wss-";
const MAX_SHARDS = 1024;

export class Service {
  /** Set by the filter when the request carries no shard key; the only cluster when unsharded. */
  cluster: string = "";
  shards: ShardSet | null = null;
  shardQuery: string = "";
  shardHeader: string = "";
  // UTF-8 forms, encoded once here so a request writes its headers without encoding anything.
  nameBytes: ArrayBuffer = new ArrayBuffer(0);
  clusterBytes: ArrayBuffer = new ArrayBuffer(0);
  shardHeaderBytes: ArrayBuffer = new ArrayBuffer(0);
  shardClusterBytes: ArrayBuffer[] = [];
  constructor(public name: string) {}

  compile(): void {
    this.nameBytes = String.UTF8.encode(this.name);
    this.clusterBytes = String.UTF8.encode(this.cluster);
    this.shardHeaderBytes = String.UTF8.encode(this.shardHeader);
    const shards = this.shards;
    if (shards !== null) {
      for (let i = 0; i < shards.clusters.length; i++) this.shardClusterBytes.push(String.UTF8.encode(shards.clusters[i]));
    }
  }
}

export class RouterConfig {
  serviceHeader: string = "x-wss-service";
  clusterHeader: string = "x-wss-cluster";
  stripHeaders: string[] = [];
  services: Service[] = [];
  table: RouteTable = new RouteTable();
  serviceHeaderBytes: ArrayBuffer = new ArrayBuffer(0);
  clusterHeaderBytes: ArrayBuffer = new ArrayBuffer(0);
  /** Internal names outside the x-wss- prefix (routing headers, strip_headers), lower-case UTF-8. */
  internalNameBytes: ArrayBuffer[] = [];

  compile(): void {
    this.serviceHeaderBytes = String.UTF8.encode(this.serviceHeader);
    this.clusterHeaderBytes = String.UTF8.encode(this.clusterHeader);
    const names = [this.serviceHeader, this.clusterHeader].concat(this.stripHeaders);
    for (let i = 0; i < names.length; i++) {
      if (!startsWithLower(names[i], INTERNAL_PREFIX)) this.internalNameBytes.push(String.UTF8.encode(names[i]));
    }
    for (let i = 0; i < this.services.length; i++) this.services[i].compile();
  }

  /** A request header this filter owns: removed from the client's request before routing. */
  isInternal(lowerName: string): bool {
    if (startsWithLower(lowerName, INTERNAL_PREFIX)) return true;
    if (lowerName == this.serviceHeader || lowerName == this.clusterHeader) return true;
    const strip = this.stripHeaders;
    for (let i = 0; i < strip.length; i++) if (unchecked(strip[i]) == lowerName) return true;
    return false;
  }
}

/** Records the first configuration error of this parse (sdk/config's configError()), e.g.
 *  "routes[1].service: unknown service \"chat\"". */
@inline
function fail(message: string): void {
  failConfig(message);
}

@inline
function isTchar(c: u32): bool {
  // RFC 9110 5.6.2 token characters.
  if (c - 0x61 < 26 || c - 0x41 < 26 || c - 0x30 < 10) return true;
  return c == 0x21 || (c >= 0x23 && c <= 0x27) || c == 0x2a || c == 0x2b || c == 0x2d ||
         c == 0x2e || c == 0x5e || c == 0x5f || c == 0x60 || c == 0x7c || c == 0x7e;
}

/** "" when `name` is a valid header field name, else why not. */
function headerNameProblem(name: string): string {
  if (name.length == 0) return "must not be empty";
  if (codeAt(name, 0) == 0x3a) return "\"" + name + "\" is a pseudo-header; name a regular header";
  for (let i = 0; i < name.length; i++) {
    if (!isTchar(codeAt(name, i))) return "\"" + name + "\" is not a valid header name (RFC 9110 token characters only)";
  }
  return "";
}

/** "" when `name` can be a stat name segment (wss.<service>.cx_active, README, Stats). */
function serviceNameProblem(name: string): string {
  if (name.length == 0 || name.length > 64) return "must be 1-64 characters";
  for (let i = 0; i < name.length; i++) {
    const c = codeAt(name, i);
    if (!(c - 0x61 < 26 || c - 0x41 < 26 || c - 0x30 < 10 || c == 0x5f || c == 0x2d)) {
      return "\"" + name + "\" must be characters of [A-Za-z0-9_-] (it becomes a stat name segment)";
    }
  }
  return "";
}

function headerName(r: ConfigReader, key: string, def: string, path: string): string {
  const v = r.string(key, false, def);
  if (r.error != null) return v;
  const problem = headerNameProblem(v);
  if (problem.length) fail(path + key + ": " + problem);
  return asciiLower(v);
}

/** A JSON array of strings; null (with configError) when an element is not a non-empty string. */
function stringList(items: JsonValue[], path: string): string[] | null {
  const out = new Array<string>(0);
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const where = path + "[" + i.toString() + "]";
    if (!item.isString()) { fail(where + ": expected string"); return null; }
    const s = item.stringValue;
    if (s.length == 0) { fail(where + ": must not be empty"); return null; }
    if (out.includes(s)) { fail(where + ": duplicate \"" + s + "\""); return null; }
    out.push(s);
  }
  return out;
}

function parseShard(r: ConfigReader, s: Service, path: string): bool {
  s.shardQuery = r.string("query", false, "");
  const header = r.string("header", false, "");
  if (r.error == null && header.length) {
    const problem = headerNameProblem(header);
    if (problem.length) { fail(path + "header: " + problem); return false; }
    s.shardHeader = asciiLower(header);
  }
  const list = r.array("clusters", true);
  r.finish();
  if (r.error != null) { fail(<string>r.error); return false; }
  if (configError().length) return false;
  if (s.shardQuery.length == 0 && s.shardHeader.length == 0) {
    fail(path + "query: a shard needs \"query\" or \"header\" to read its key from");
    return false;
  }
  const clusters = stringList(<JsonValue[]>list, path + "clusters");
  if (clusters == null) return false;
  if (clusters.length == 0 || clusters.length > MAX_SHARDS) {
    fail(path + "clusters: expected 1-" + MAX_SHARDS.toString() + " cluster names");
    return false;
  }
  s.shards = new ShardSet(clusters);
  return true;
}

function parseServices(items: JsonValue[], c: RouterConfig): bool {
  if (items.length == 0) { fail("services: expected at least one service"); return false; }
  for (let i = 0; i < items.length; i++) {
    const at = "services[" + i.toString() + "]";
    const item = items[i];
    if (!item.isObject()) { fail(at + ": expected object"); return false; }
    const r = new ConfigReader(item, at);
    const name = r.string("name", true, "");
    const cluster = r.string("cluster", true, "");
    const shard = r.object("shard", false);
    const s = new Service(name);
    s.cluster = cluster;
    // The shard reader shares r's error sink: read its keys before r.finish() checks them.
    if (shard != null && r.error == null && !parseShard(shard, s, at + ".shard.")) return false;
    r.finish();
    if (r.error != null) { fail(<string>r.error); return false; }
    const problem = serviceNameProblem(name);
    if (problem.length) { fail(at + ".name: " + problem); return false; }
    for (let k = 0; k < c.services.length; k++) {
      if (c.services[k].name == name) { fail(at + ".name: duplicate service \"" + name + "\""); return false; }
    }
    if (cluster.length == 0) { fail(at + ".cluster: must not be empty"); return false; }
    c.services.push(s);
  }
  return true;
}

function serviceIndex(c: RouterConfig, name: string): i32 {
  for (let i = 0; i < c.services.length; i++) if (c.services[i].name == name) return i;
  return -1;
}

function serviceNames(c: RouterConfig): string {
  let out = "";
  for (let i = 0; i < c.services.length; i++) out += (i ? ", " : "") + c.services[i].name;
  return out;
}

function parseRoutes(items: JsonValue[], c: RouterConfig): bool {
  if (items.length == 0) { fail("routes: expected at least one route"); return false; }
  for (let i = 0; i < items.length; i++) {
    const at = "routes[" + i.toString() + "]";
    const item = items[i];
    if (!item.isObject()) { fail(at + ": expected object"); return false; }
    const r = new ConfigReader(item, at);
    const prefix = r.string("prefix", true, "");
    const service = r.string("service", true, "");
    const hostItems = r.array("hosts", false);
    r.finish();
    if (r.error != null) { fail(<string>r.error); return false; }
    if (prefix.length == 0 || codeAt(prefix, 0) != 0x2f) {
      fail(at + ".prefix: \"" + prefix + "\" must start with \"/\"");
      return false;
    }
    if (prefix.includes("?") || prefix.includes("#")) {
      fail(at + ".prefix: \"" + prefix + "\" must be a path without query or fragment");
      return false;
    }
    const index = serviceIndex(c, service);
    if (index < 0) {
      fail(at + ".service: unknown service \"" + service + "\" (services: " + serviceNames(c) + ")");
      return false;
    }
    let hosts = new Array<string>(0);
    if (hostItems != null) {
      const list = stringList(hostItems, at + ".hosts");
      if (list == null) return false;
      hosts = list;
    }
    const conflict = c.table.add(prefix, hosts, index);
    if (conflict != null) { fail(at + ".prefix: " + conflict); return false; }
  }
  c.table.compile();
  return true;
}

/** Parses the `ws_router` configuration; null with configError() set on any error. */
export function parseRouterConfig(text: string): RouterConfig | null {
  startConfig();
  const json = parseJson(text);
  if (json == null) { fail("configuration: invalid JSON at " + (lastJsonError() as string)); return null; }
  if (!json.isObject()) { fail("configuration: expected a JSON object"); return null; }
  const r = new ConfigReader(json);
  const c = new RouterConfig();
  c.serviceHeader = headerName(r, "service_header", c.serviceHeader, "");
  c.clusterHeader = headerName(r, "cluster_header", c.clusterHeader, "");
  const strip = r.array("strip_headers", false);
  const services = r.array("services", true);
  const routes = r.array("routes", true);
  r.finish();
  if (r.error != null) { fail(<string>r.error); return null; }
  if (configError().length) return null;
  if (c.serviceHeader == c.clusterHeader) {
    { fail("cluster_header: \"" + c.clusterHeader + "\" is also service_header; use two names"); return null; }
  }
  if (strip != null) {
    const list = stringList(strip, "strip_headers");
    if (list == null) return null;
    for (let i = 0; i < list.length; i++) {
      const problem = headerNameProblem(list[i]);
      if (problem.length) { fail("strip_headers[" + i.toString() + "]: " + problem); return null; }
      list[i] = asciiLower(list[i]);
    }
    c.stripHeaders = list;
  }
  if (!parseServices(<JsonValue[]>services, c)) return null;
  if (!parseRoutes(<JsonValue[]>routes, c)) return null;
  c.compile();
  return c;
}
