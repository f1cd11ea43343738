// drain-signal: tells every websocket to reconnect, spread over the drain window, when Envoy
// drains or an operator asks (README.md). Root id "drain_signal".
// An HTTP filter that makes callouts (the admin poll): no network callbacks (sdk/exports.ts).
export * from "../../sdk/exports/common";
export * from "../../sdk/exports/http";
export * from "../../sdk/exports/callouts";
import { registerRootContext, RootContext } from "../../sdk";
import { DrainRoot } from "./root";

registerRootContext("drain_signal", (id: u32): RootContext => new DrainRoot(id));
