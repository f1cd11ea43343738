// Shared pieces of the gateway tests: bootstrap builders (port 0 everywhere: ephemeral ports),
// websocket clients that collect messages, raw HTTP over a socket, bounded polling.
import net from "node:net";
import WebSocket from "ws";

export const HCM_TYPE = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";
export const HTTP_WASM_TYPE = "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm";
export const CLA_TYPE = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";

export type Endpoint = { address: string; port: number };

export const socketAddress = (address: string, port: number) => ({ socket_address: { address, port_value: port } });

export function staticCluster(name: string, endpoints: Endpoint[], extra: Record<string, unknown> = {}) {
  return {
    name, type: "STATIC", connect_timeout: "1s",
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: endpoints.map((e) => ({ endpoint: { address: socketAddress(e.address, e.port) } })) }] },
    ...extra,
  };
}

export function edsCluster(name: string, path: string, extra: Record<string, unknown> = {}) {
  return { name, type: "EDS", connect_timeout: "1s", eds_cluster_config: { service_name: name, eds_config: { path_config_source: { path } } }, ...extra };
}

export function edsDocument(cluster: string, endpoints: Endpoint[]) {
  return {
    version_info: String(Date.now()),
    resources: [{ "@type": CLA_TYPE, cluster_name: cluster, endpoints: [{ lb_endpoints: endpoints.map((e) => ({ endpoint: { address: socketAddress(e.address, e.port) } })) }] }],
  };
}

/** Routes /<service> websocket upgrades to cluster <service>; anything else misses (404). */
export function serviceRoutes(services: string[]) {
  return services.map((s) => ({ match: { path: `/${s}`, headers: [{ name: "upgrade", present_match: true }] }, route: { cluster: s } }));
}

export function hcm(routes: unknown[], extra: Record<string, unknown> = {}, httpFilters: unknown[] = []) {
  return {
    name: "envoy.filters.network.http_connection_manager",
    typed_config: {
      "@type": HCM_TYPE, stat_prefix: "ingress", upgrade_configs: [{ upgrade_type: "websocket" }],
      route_config: { name: "local", virtual_hosts: [{ name: "all", domains: ["*"], routes }] },
      http_filters: [...httpFilters, { name: "envoy.filters.http.router" }],
      ...extra,
    },
  };
}

export function bootstrap(filters: unknown[], clusters: unknown[], extra: Record<string, unknown> = {}) {
  return {
    admin: { address: socketAddress("127.0.0.1", 0) },
    static_resources: {
      listeners: [{ name: "ingress", address: socketAddress("127.0.0.1", 0), filter_chains: [{ filters }] }],
      clusters,
    },
    ...extra,
  };
}

/** A websocket client that keeps every text message and its close code. */
export class Client {
  readonly messages: string[] = [];
  closeCode: number | null = null;
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<number>;
  constructor(url: string, headers: Record<string, string> = {}) {
    this.ws = new WebSocket(url, { headers });
    this.ws.on("message", (m, bin) => { if (!bin) this.messages.push(m.toString()); });
    this.opened = new Promise((res, rej) => { this.ws.once("open", () => res()); this.ws.once("unexpected-response", (_req, r) => rej(new Error(`unexpected response ${r.statusCode}`))); this.ws.once("error", rej); });
    this.closed = new Promise((res) => this.ws.once("close", (code) => { this.closeCode = code; res(code); }));
    this.opened.catch(() => {});
  }
  json(i: number): Record<string, unknown> { return JSON.parse(this.messages[i]) as Record<string, unknown>; }
  hello(): Record<string, unknown> { return this.json(0); }
  /** Sends text and waits for its echo. */
  async echo(text: string): Promise<void> {
    this.ws.send(text);
    const want = JSON.stringify({ type: "echo", data: text });
    await waitFor(() => this.messages.includes(want), `echo of ${JSON.stringify(text)}`);
  }
  close(): void { this.ws.close(); }
}

export async function openClient(url: string, headers: Record<string, string> = {}): Promise<Client> {
  const c = new Client(url, headers);
  await c.opened;
  await waitFor(() => c.messages.length > 0, `hello on ${url}`);
  return c;
}

/** Polls `cond` up to `tries` times, 10 ms apart; fails naming what it waited for. */
export async function waitFor(cond: () => boolean, what: string, tries = 500): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** Writes raw bytes and reads until the server closes or `until` matches the data so far. */
export function rawExchange(port: number, request: string | Buffer, until?: (s: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1");
    let data = "";
    s.on("data", (d) => { data += d.toString("latin1"); if (until?.(data)) { s.destroy(); resolve(data); } });
    s.on("end", () => { s.destroy(); resolve(data); });
    s.on("error", reject);
    s.write(request);
  });
}

export async function adminGet(port: number, path: string, method = "GET"): Promise<{ status: number; text: string; type: string | null }> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  return { status: r.status, text: await r.text(), type: r.headers.get("content-type") };
}
