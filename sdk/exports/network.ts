// Network (TCP) callbacks (envoy.filters.network.wasm).
import * as d from "../dispatcher";
import { TcpOp } from "../dispatcher";

export function proxy_on_new_connection(id: u32): u32 { return d.onTcp(TcpOp.NewConnection, id, 0, 0); }
export function proxy_on_downstream_data(id: u32, size: u32, eos: u32): u32 { return d.onTcp(TcpOp.DownstreamData, id, size, eos); }
export function proxy_on_upstream_data(id: u32, size: u32, eos: u32): u32 { return d.onTcp(TcpOp.UpstreamData, id, size, eos); }
export function proxy_on_downstream_connection_close(id: u32, peer: u32): void { d.onTcp(TcpOp.DownstreamClose, id, peer, 0); }
export function proxy_on_upstream_connection_close(id: u32, peer: u32): void { d.onTcp(TcpOp.UpstreamClose, id, peer, 0); }
