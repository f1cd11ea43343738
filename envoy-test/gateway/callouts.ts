// proxy_http_call for the gateway: an HTTP/1.1 request to a host of the named cluster, picked by the
// cluster's load balancer, as Envoy's AsyncClient does through the cluster manager
// (source/extensions/common/wasm/context.cc Context::httpCall -> AsyncClient::send).
// Failures reject; the host turns them into proxy_on_http_call_response with no response, as Envoy
// does for a reset (onFailure).
import http from "node:http";
import { asciiLower } from "../host/ascii.ts";
import type { CalloutTransport, HeaderList, HttpCallResponse } from "../host/index.ts";
import type { Cluster } from "./cluster.ts";

export class ClusterCallouts implements CalloutTransport {
  constructor(private readonly clusters: Map<string, Cluster>) {}

  httpCall(clusterName: string, headers: HeaderList, body: Uint8Array, _trailers: HeaderList, timeoutMs: number): Promise<HttpCallResponse> {
    const cluster = this.clusters.get(clusterName);
    if (!cluster) return Promise.reject(new Error(`http call: unknown cluster "${clusterName}"`));
    const host = cluster.chooseHost();
    if (!host) return Promise.reject(new Error(`http call: cluster "${clusterName}" has no healthy upstream`));
    const get = (n: string): string | undefined => headers.find(([k]) => k === n)?.[1];
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of headers) {
      if (k.startsWith(":")) continue;
      const prev = out[k];
      out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    out.host = get(":authority") ?? clusterName;
    if (body.length) out["content-length"] = String(body.length);
    cluster.counter("upstream_rq_total").inc();
    return new Promise((resolve, reject) => {
      const req = http.request({
        host: host.address, port: host.port, method: get(":method") ?? "GET", path: get(":path") ?? "/",
        headers: out, agent: false,
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const rh: HeaderList = [[":status", String(res.statusCode ?? 0)]];
          for (let i = 0; i < res.rawHeaders.length; i += 2) rh.push([asciiLower(res.rawHeaders[i]), res.rawHeaders[i + 1]]);
          resolve({ headers: rh, body: Buffer.concat(chunks), trailers: [] });
        });
        res.on("error", reject);
      });
      if (timeoutMs > 0) req.setTimeout(timeoutMs, () => req.destroy(new Error("http call: timeout")));
      req.on("error", reject);
      req.end(Buffer.from(body));
    });
  }
}
