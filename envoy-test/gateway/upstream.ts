// Opening upstream connections with the cluster's connect_timeout and the stats Envoy keeps for
// them (cluster.<name>.upstream_cx_total/_active/_connect_fail/_connect_timeout; per host cx_*).
import net from "node:net";
import type { Cluster, UpstreamHost } from "./cluster.ts";

export class ConnectError extends Error {
  constructor(readonly reason: "connection_failure" | "connection_timeout", detail: string) { super(detail); }
}

/** Envoy's local-reply text for a failed upstream connection (router.cc, onUpstreamReset). */
export function connectFailureBody(e: ConnectError): string {
  return e.reason === "connection_timeout"
    ? "upstream connect error or disconnect/reset before headers. reset reason: connection timeout"
    : `upstream connect error or disconnect/reset before headers. reset reason: remote connection failure, transport failure reason: delayed connect error: ${e.message}`;
}

export function connectUpstream(cluster: Cluster, host: UpstreamHost): Promise<net.Socket> {
  cluster.counter("upstream_cx_total").inc();
  host.cxTotal++;
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: host.address, port: host.port });
    sock.setNoDelay(true);
    const timer = setTimeout(() => {
      cluster.counter("upstream_cx_connect_timeout").inc();
      cluster.counter("upstream_cx_connect_fail").inc();
      host.cxConnectFail++;
      sock.destroy();
      reject(new ConnectError("connection_timeout", "connection timeout"));
    }, cluster.config.connectTimeoutMs);
    const onError = (e: NodeJS.ErrnoException): void => {
      clearTimeout(timer);
      cluster.counter("upstream_cx_connect_fail").inc();
      host.cxConnectFail++;
      reject(new ConnectError("connection_failure", e.code === "ECONNREFUSED" ? "111" : (e.code ?? e.message)));
    };
    sock.once("error", onError);
    sock.once("connect", () => {
      clearTimeout(timer);
      sock.off("error", onError);
      cluster.gauge("upstream_cx_active").add(1);
      host.cxActive++;
      sock.once("close", () => { cluster.gauge("upstream_cx_active").sub(1); host.cxActive--; });
      resolve(sock);
    });
  });
}
