// Plugin configuration of both root ids, parsed strictly (sdk/config.ts): an unknown key, a
// wrong type or an out-of-range number fails on_configure with the key's path in the log.
// Every key, its type and default is listed in README.md ("Configuration").
import { asciiLower } from "../../sdk/ascii";
import { ConfigReader } from "../../sdk/config";
import { statSegment } from "./names";

/** Limits of one service; 0 means unlimited. */
export class ServiceLimits {
  constructor(public name: string, public maxActive: i64, public maxActivePerKey: i64) {}
}

export class HttpConfig {
  fallbackService: string = "unknown";
  defaultMaxActive: i64 = 0;
  defaultMaxActivePerKey: i64 = 0;
  services: ServiceLimits[] = [];
  limitKeyHeader: string = "";
  limitKeyQuery: string = "";
  retryAfterS: u32 = 10;
  retryAfterJitterS: u32 = 5;
  countFrames: bool = true;
  maxServices: i32 = 256;
}

export class TcpConfig {
  listener: string = "ingress";
  maxPerListener: i64 = 0;
  maxPerSource: i64 = 0;
}

const MAX_LIMIT: i64 = 1 << 40;

/** Reads a string that becomes a stat-name segment; records an error naming the key otherwise. */
function segment(r: ConfigReader, key: string, required: bool, def: string): string {
  const v = r.string(key, required, def);
  if (r.error == null && (v.length == 0 || statSegment(v) != v)) {
    r.fail(r.keyPath(key), "\"" + v + "\" must be 1-64 characters of [A-Za-z0-9_-] (it becomes part of a stat name)");
  }
  return v;
}

function done<T>(r: ConfigReader, value: T): T | null {
  return r.finish() ? value : null;
}

/** Parses the `conn_accounting` configuration; null with sdk/config's configError() set on any error. */
export function parseHttpConfig(text: string): HttpConfig | null {
  const r = ConfigReader.parse(text.length == 0 ? "{}" : text);
  const c = new HttpConfig();
  c.fallbackService = segment(r, "fallback_service", false, c.fallbackService);
  c.defaultMaxActive = r.int("default_max_active", false, 0, 0, MAX_LIMIT);
  c.defaultMaxActivePerKey = r.int("default_max_active_per_key", false, 0, 0, MAX_LIMIT);
  c.limitKeyHeader = asciiLower(r.string("limit_key_header", false, ""));
  c.limitKeyQuery = r.string("limit_key_query", false, "");
  c.retryAfterS = <u32>r.int("retry_after_s", false, 10, 1, 86400);
  c.retryAfterJitterS = <u32>r.int("retry_after_jitter_s", false, 5, 0, 86400);
  c.countFrames = r.bool("count_frames", false, true);
  c.maxServices = <i32>r.int("max_services", false, 256, 1, 65536);
  const list = r.array("services", false);
  if (list != null) {
    for (let i = 0; i < list.length; i++) {
      const s = r.element("services", i, list[i]);
      if (s == null) break;
      const name = segment(s, "name", true, "");
      const max = s.int("max_active", false, c.defaultMaxActive, 0, MAX_LIMIT);
      const perKey = s.int("max_active_per_key", false, c.defaultMaxActivePerKey, 0, MAX_LIMIT);
      if (r.error != null) break;
      for (let j = 0; j < c.services.length; j++) {
        if (c.services[j].name == name) s.fail(s.keyPath("name"), "\"" + name + "\" is listed twice");
      }
      c.services.push(new ServiceLimits(name, max, perKey));
    }
  }
  if (r.error == null && (c.limitKeyHeader == "x-forwarded-for" || c.limitKeyHeader == "forwarded")) {
    // Each client writes its own entries into these (Envoy appends, it does not replace), so a
    // key taken from them is whatever the client sends; the default key, the source address,
    // is what Envoy derived from them per use_remote_address / xff_num_trusted_hops.
    r.fail("limit_key_header", "\"" + c.limitKeyHeader + "\" holds client-supplied addresses; leave limit_key_header unset to key on the source address Envoy derives from it (use_remote_address, xff_num_trusted_hops)");
  }
  if (r.error == null && c.limitKeyHeader.length > 0 && c.limitKeyQuery.length > 0) {
    r.fail("limit_key_query", "set limit_key_header or limit_key_query, not both");
  }
  if (r.error == null && c.retryAfterJitterS >= c.retryAfterS) {
    // base - jitter would reach 0; Retry-After is clamped to 1 s, which bunches clients again.
    r.fail("retry_after_jitter_s", "must be less than retry_after_s (" + c.retryAfterS.toString() + ")");
  }
  return done<HttpConfig>(r, c);
}

/** Parses the `conn_accounting_tcp` configuration; null with sdk/config's configError() set on any error. */
export function parseTcpConfig(text: string): TcpConfig | null {
  const r = ConfigReader.parse(text.length == 0 ? "{}" : text);
  const c = new TcpConfig();
  c.listener = segment(r, "listener", false, c.listener);
  c.maxPerListener = r.int("max_per_listener", false, 0, 0, MAX_LIMIT);
  c.maxPerSource = r.int("max_per_source", false, 0, 0, MAX_LIMIT);
  return done<TcpConfig>(r, c);
}
