// drain-signal: tells every websocket to reconnect, spread over the drain window, when Envoy
// drains or an operator asks (README.md). Root id "drain_signal".
export * from "../../sdk/exports";
import { registerRootContext, RootContext } from "../../sdk";
import { DrainRoot } from "./root";

registerRootContext("drain_signal", (id: u32): RootContext => new DrainRoot(id));
