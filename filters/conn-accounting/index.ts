// build/conn-accounting.wasm: two root ids in one module.
//   conn_accounting      HTTP filter (http.ts): websockets per service, limits, frames, bytes
//   conn_accounting_tcp  network filter (tcp.ts): TCP connections per listener and source
export * from "../../sdk/exports";
import { registerRootContext, RootContext } from "../../sdk";
import { AccountingRoot } from "./http";
import { TcpAccountingRoot } from "./tcp";

registerRootContext("conn_accounting", (id: u32): RootContext => new AccountingRoot(id));
registerRootContext("conn_accounting_tcp", (id: u32): RootContext => new TcpAccountingRoot(id));
