// The downstream remote address of a stream, as Envoy's HCM decides it
// (source/common/http/conn_manager_utility.cc ConnectionManagerUtility::mutateRequestHeaders,
// source/common/http/utility.cc Utility::getLastAddressFromXFF,
// source/extensions/http/original_ip_detection/xff/xff.cc): it becomes the `source.address`
// property the filters read.
//   use_remote_address true:  the connection's peer (or, with xff_num_trusted_hops N > 0, the
//                              N-th address from the right of X-Forwarded-For), and the peer is
//                              appended to X-Forwarded-For.
//   use_remote_address false: the last address of X-Forwarded-For after skipping
//   (the default)              xff_num_trusted_hops from the right; the peer when XFF is absent
//                              or that entry is not an IP address. A client chooses it then.
import net from "node:net";
import type { HeaderList } from "../host/index.ts";
import type { PropertyValue } from "../host/index.ts";

export interface XffConfig { useRemoteAddress: boolean; xffNumTrustedHops: number }

/** Utility::getLastAddressFromXFF: the entry `skip` places from the right, when it is an IP. */
export function lastAddressFromXff(headers: HeaderList, skip: number): string | undefined {
  const values = headers.filter(([k]) => k === "x-forwarded-for").map(([, v]) => v);
  if (!values.length) return undefined;
  const entries = values.join(",").split(",").map((e) => e.trim());
  const i = entries.length - 1 - skip;
  if (i < 0) return undefined;
  return net.isIP(entries[i]) ? entries[i] : undefined;
}

const withPort = (ip: string, port: number): string => (ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`);

/** The connection's properties with source.address as Envoy sets it for this request; the same
 *  object when it does not change. */
export function streamProperties(x: XffConfig, connection: Record<string, PropertyValue>, headers: HeaderList): Record<string, PropertyValue> {
  let ip: string | undefined;
  if (x.useRemoteAddress) {
    if (x.xffNumTrustedHops > 0) ip = lastAddressFromXff(headers, x.xffNumTrustedHops - 1);
  } else {
    ip = lastAddressFromXff(headers, x.xffNumTrustedHops);
  }
  // An address taken from XFF has no port (Envoy's Ipv4Instance/Ipv6Instance with port 0).
  return ip === undefined ? connection : { ...connection, "source.address": withPort(ip, 0), "source.port": 0 };
}

/** The IP of a connection's source.address ("ip:port", IPv6 in brackets). */
export function peerIp(connection: Record<string, PropertyValue>): string | undefined {
  const a = connection["source.address"];
  if (typeof a !== "string") return undefined;
  const m = /^\[(.*)\]:\d+$/.exec(a) ?? /^([^:]*):\d+$/.exec(a);
  return m ? m[1] : undefined;
}

/** With use_remote_address, Envoy appends the peer's IP to X-Forwarded-For (appendXff). */
export function appendXff(x: XffConfig, headers: HeaderList, peerIp: string | undefined): void {
  if (!x.useRemoteAddress || !peerIp) return;
  const i = headers.findIndex(([k]) => k === "x-forwarded-for");
  if (i < 0) headers.push(["x-forwarded-for", peerIp]);
  else headers[i] = ["x-forwarded-for", `${headers[i][1]},${peerIp}`];
}
