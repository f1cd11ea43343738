// The Envoy admin endpoints the project relies on (docs/gateway.md, "Admin"), with Envoy's
// formats and rules: source/server/admin/admin.cc (exact path match, mutating handlers require POST:
// "Method GET not allowed, POST required." 405; unknown path 404 "invalid path."),
// server_info_handler.cc (/ready: state name, 200 only when LIVE), listeners_handler.cc
// (/listeners "name::address", /drain_listeners), clusters_handler.cc (/clusters text and json),
// server_cmd_handler.cc (/healthcheck/fail|ok), stats_handler.cc (/stats, /stats/prometheus).
import http from "node:http";
import type { Stats } from "../host/index.ts";
import type { Cluster } from "./cluster.ts";
import type { SocketAddress, StatsTag } from "./config-model.ts";
import type { DrainManager } from "./drain.ts";
import type { Listener } from "./listener.ts";
import { compileRe2, type Re2 } from "../config/re2.ts";
import { renderJson, renderPrometheus, renderText, type StatFilter } from "./stats-format.ts";

export interface AdminDeps {
  stats: Stats;
  statsTags: StatsTag[];
  clusters: Map<string, Cluster>;
  listeners: Listener[];
  drain: DrainManager;
  /** GET /server_info: envoy.admin.v3.ServerInfo as JSON (hot-restart/server-info.ts) */
  serverInfo?: () => object;
  /** POST /drain_listeners: stop listeners now, or after the drain time with ?graceful;
   *  ?inboundonly: only listeners whose traffic_direction is not OUTBOUND */
  drainListeners(graceful: boolean, inboundOnly: boolean): void;
}

type Reply = { status: number; body: string; type?: string };
type Handler = (q: URLSearchParams) => Reply;

const TEXT = "text/plain; charset=UTF-8";
const JSON_TYPE = "application/json";

export class AdminServer {
  private server: http.Server | null = null;
  private readonly get: Record<string, Handler>;
  private readonly post: Record<string, Handler>;

  constructor(private readonly d: AdminDeps) {
    this.get = {
      "/ready": () => {
        const state = d.drain.stateName();
        return { status: state === "LIVE" ? 200 : 503, body: `${state}\n` };
      },
      "/stats": (q) => this.stats(q),
      ...(d.serverInfo ? { "/server_info": () => ({ status: 200, body: JSON.stringify(d.serverInfo!(), null, 2), type: JSON_TYPE }) } : {}),
      "/stats/prometheus": (q) => ({ status: 200, body: renderPrometheus(d.stats, d.statsTags, filterOf(q), q.has("usedonly")), type: "text/plain; version=0.0.4; charset=UTF-8" }),
      "/clusters": (q) => (q.get("format") === "json" ? { status: 200, body: this.clustersJson(), type: JSON_TYPE } : { status: 200, body: this.clustersText() }),
      "/listeners": (q) => (q.get("format") === "json" ? { status: 200, body: this.listenersJson(), type: JSON_TYPE } : { status: 200, body: this.listenersText() }),
    };
    this.post = {
      "/drain_listeners": (q) => { d.drainListeners(q.has("graceful"), q.has("inboundonly")); return { status: 200, body: "OK\n" }; },
      "/healthcheck/fail": () => { d.drain.setHealthCheckFailed(true); return { status: 200, body: "OK\n" }; },
      "/healthcheck/ok": () => { d.drain.setHealthCheckFailed(false); return { status: 200, body: "OK\n" }; },
    };
  }

  async start(addr: SocketAddress): Promise<void> {
    const server = http.createServer((req, res) => this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", (e) => reject(new Error(`admin: cannot listen on ${addr.address}:${addr.port}: ${e.message}`)));
      server.listen(addr.port, addr.address, () => resolve());
    });
  }

  address(): SocketAddress | null {
    const a = this.server?.address();
    return a && typeof a === "object" ? { address: a.address, port: a.port } : null;
  }

  async close(): Promise<void> {
    const s = this.server;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://admin");
    const method = req.method ?? "GET";
    let reply: Reply;
    const mutating = this.post[url.pathname];
    const reading = this.get[url.pathname];
    try {
      if (mutating) {
        reply = method === "POST" ? mutating(url.searchParams) : { status: 405, body: `Method ${method} not allowed, POST required.` };
      } else if (reading) {
        reply = reading(url.searchParams);
      } else {
        reply = { status: 404, body: `invalid path. admin commands are:\n${this.help()}` };
      }
    } catch (e) {
      reply = { status: 400, body: `${(e as Error).message}\n` };
    }
    req.resume();
    const body = Buffer.from(reply.body);
    res.writeHead(reply.status, {
      "content-type": reply.type ?? TEXT, "content-length": body.length, "cache-control": "no-cache, max-age=0",
      "x-content-type-options": "nosniff",
    });
    res.end(body);
  }

  private help(): string {
    return [...Object.keys(this.get).map((p) => `  ${p}`), ...Object.keys(this.post).map((p) => `  ${p} (POST)`)].sort().join("\n") + "\n";
  }

  private stats(q: URLSearchParams): Reply {
    const filter = filterOf(q);
    const used = q.has("usedonly");
    const format = q.get("format");
    if (format === "json") return { status: 200, body: renderJson(this.d.stats, filter, used), type: JSON_TYPE };
    if (format === "prometheus") return { status: 200, body: renderPrometheus(this.d.stats, this.d.statsTags, filter, used) };
    if (format && format !== "text") throw new Error(`usage: /stats?format=(html|active-html|json|prometheus|text)`);
    return { status: 200, body: renderText(this.d.stats, filter, used) };
  }

  private clustersText(): string {
    let out = "";
    for (const c of this.d.clusters.values()) {
      const n = c.name;
      out += `${n}::observability_name::${n}\n`;
      for (const p of ["default_priority", "high_priority"]) {
        out += `${n}::${p}::max_connections::1024\n${n}::${p}::max_pending_requests::1024\n${n}::${p}::max_requests::1024\n${n}::${p}::max_retries::3\n`;
      }
      out += `${n}::added_via_api::false\n`;
      for (const h of c.hosts) {
        const k = `${n}::${h.key}`;
        out += `${k}::cx_active::${h.cxActive}\n${k}::cx_connect_fail::${h.cxConnectFail}\n${k}::cx_total::${h.cxTotal}\n`;
        out += `${k}::rq_active::${h.rqActive}\n${k}::rq_error::${h.rqError}\n${k}::rq_success::${h.rqSuccess}\n${k}::rq_timeout::0\n${k}::rq_total::${h.rqTotal}\n`;
        out += `${k}::hostname::\n${k}::health_flags::${h.failedActiveHc ? "/failed_active_hc" : "healthy"}\n${k}::weight::1\n`;
        out += `${k}::region::\n${k}::zone::\n${k}::sub_zone::\n${k}::canary::false\n${k}::priority::0\n${k}::success_rate::-1\n${k}::local_origin_success_rate::-1\n`;
      }
    }
    return out;
  }

  private clustersJson(): string {
    const cluster_statuses = [...this.d.clusters.values()].map((c) => ({
      name: c.name,
      observability_name: c.name,
      added_via_api: false,
      host_statuses: c.hosts.map((h) => ({
        address: { socket_address: { address: h.address, port_value: h.port } },
        stats: [
          { name: "cx_connect_fail", value: String(h.cxConnectFail) }, { name: "cx_total", value: String(h.cxTotal) },
          { name: "rq_error", value: String(h.rqError) }, { name: "rq_success", value: String(h.rqSuccess) },
          { name: "rq_timeout", value: "0" }, { name: "rq_total", value: String(h.rqTotal) },
          { type: "GAUGE", name: "cx_active", value: String(h.cxActive) }, { type: "GAUGE", name: "rq_active", value: String(h.rqActive) },
        ],
        health_status: h.failedActiveHc ? { eds_health_status: "HEALTHY", failed_active_health_check: true } : { eds_health_status: "HEALTHY" },
        weight: 1,
        locality: {},
      })),
    }));
    return JSON.stringify({ cluster_statuses }, null, 1);
  }

  private listenersText(): string {
    return this.d.listeners.map((l) => { const a = l.address(); return `${l.config.name}::${a.address}:${a.port}\n`; }).join("");
  }

  private listenersJson(): string {
    return JSON.stringify({
      listener_statuses: this.d.listeners.map((l) => {
        const a = l.address();
        return { name: l.config.name, local_address: { socket_address: { address: a.address, port_value: a.port } } };
      }),
    }, null, 1);
  }
}

/** The stats filter as Envoy reads it: RE2, matched anywhere in the name (stats_params.cc). */
function filterOf(q: URLSearchParams): StatFilter | undefined {
  const f = q.get("filter");
  if (f === null || f === "") return undefined;
  let re: Re2;
  try { re = compileRe2(f); } catch (e) { throw new Error(`Invalid re2 regex: ${(e as Error).message}`); }
  return { test: (name) => re.find(name) };
}
