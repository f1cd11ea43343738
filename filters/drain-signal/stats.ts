// The filter's stats (Envoy shows them as wasmcustom.<name>). Every worker VM
// defines the same names, so Envoy keeps one stat each for the whole process
// (source/extensions/common/wasm/context.cc, Context::defineMetric).
import { Counter, Gauge } from "../../sdk";

@final
export class DrainStats {
  /** Streams sent the drain signal (or Close 1001 in place of it). */
  readonly signalled: Counter = new Counter("wss.drain.signalled");
  /** Streams the root reset at the hard deadline (proxy_close_stream). */
  readonly forcedClose: Counter = new Counter("wss.drain.forced_close");
  /** Close 1001 sent after the grace that followed the signal. */
  readonly graceClose: Counter = new Counter("wss.drain.grace_close");
  /** Streams whose backend sent a malformed frame (injection stopped on them). */
  readonly malformed: Counter = new Counter("wss.drain.malformed_frames");
  /** Open websocket streams not yet sent the signal. */
  readonly unsignalled: Gauge = new Gauge("wss.drain.unsignalled");
  /** DrainPhase of the most advanced active drain: 0 none, 1 window, 2 grace, 3 past deadline. */
  readonly state: Gauge = new Gauge("wss.drain.state");
}
