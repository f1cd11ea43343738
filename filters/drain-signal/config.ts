// Plugin configuration (JSON, parsed strictly with sdk/config.ts: an unknown key or a wrong type
// refuses the plugin, naming the key path). Every key, type and default is listed in README.md.
import { asciiLower } from "../../sdk/ascii";
import { ConfigReader } from "../../sdk/config";
import { DrainTiming } from "./control";
import { MAX_WINDOW_MS } from "./schedule";
import { Dialect, Signal, closesAtSignalByDefault, dialectFromName } from "./signal";
import { isServiceName } from "./state";

@final
export class ServiceSignal {
  constructor(readonly service: string, readonly signal: Signal) {}
}

/** Where to ask Envoy whether it drains: a cluster pointing at Envoy's own admin listener. */
@final
export class AdminPoll {
  cluster: string = "";
  authority: string = "envoy-admin";
  pollMs: u32 = 1000;
  timeoutMs: u32 = 1000;
}

/** The operator route: configure it only on a listener that is not public. */
@final
export class Control {
  pathPrefix: string = "/drain-signal";
  tokenHeader: string = "x-drain-token";
  token: string = "";
}

@final
export class DrainConfig {
  serviceHeader: string = "x-wss-service";
  defaultSignal: Signal = new Signal(Dialect.SlackRtm, "", true);
  services: ServiceSignal[] = [];
  timing: DrainTiming = new DrainTiming();
  tickMs: u32 = 200;
  admin: AdminPoll | null = null;
  control: Control | null = null;

  signalFor(service: string): Signal {
    for (let i = 0; i < this.services.length; i++) if (this.services[i].service == service) return this.services[i].signal;
    return this.defaultSignal;
  }
}

/** Defaults: slack-rtm (goodbye, then Close 1001 at once) for messages and presence, socket-mode for apps. */
function defaultServices(): ServiceSignal[] {
  return [
    new ServiceSignal("messages", new Signal(Dialect.SlackRtm, "", true)),
    new ServiceSignal("presence", new Signal(Dialect.SlackRtm, "", true)),
    new ServiceSignal("apps", new Signal(Dialect.SocketMode, "")),
  ];
}

@final
export class ParsedConfig {
  constructor(readonly config: DrainConfig | null, readonly error: string) {}
}

/** Parses the configuration. An empty configuration means every default. The error names the
 *  key path, e.g. "services[1].dialect: "rtm" is not one of slack-rtm, socket-mode, close, custom". */
export function parseConfig(text: string): ParsedConfig {
  const c = new DrainConfig();
  if (text.trim().length == 0) { c.services = defaultServices(); return new ParsedConfig(c, ""); }
  const r = ConfigReader.parse(text);
  c.serviceHeader = asciiLower(r.string("service_header", false, "x-wss-service"));
  const def = readSignal(r, "default_dialect", "default_text", "default_close_at_signal", "slack-rtm");
  if (def != null) c.defaultSignal = def;
  c.timing.windowMs = <u64>r.int("window_ms", false, 20000, 0, <i64>MAX_WINDOW_MS);
  c.timing.graceMs = <u64>r.int("grace_ms", false, 5000, 0, <i64>MAX_WINDOW_MS);
  c.timing.deadlineMs = <u64>r.int("deadline_ms", false, 30000, 0, <i64>MAX_WINDOW_MS);
  c.tickMs = <u32>r.int("tick_ms", false, 200, 10, 60000);

  const services = r.array("services", false);
  if (services == null) c.services = defaultServices();
  else {
    for (let i = 0; i < services.length; i++) {
      const s = r.element("services", i, services[i]);
      if (s == null) break;
      const name = s.string("name", true, "");
      const sig = readSignal(s, "dialect", "text", "close_at_signal", "");
      if (r.error != null) break;
      if (!isServiceName(name)) { s.fail(s.keyPath("name"), "\"" + name + "\" is not a service name (1-64 of A-Z a-z 0-9 . _ -)"); break; }
      for (let j = 0; j < c.services.length; j++) {
        if (c.services[j].service == name) { s.fail(s.keyPath("name"), "service \"" + name + "\" listed twice"); break; }
      }
      if (r.error != null) break;
      c.services.push(new ServiceSignal(name, sig!));
    }
  }

  const admin = r.object("admin", false);
  if (admin != null) {
    const a = new AdminPoll();
    a.cluster = admin.string("cluster", true, "");
    a.authority = admin.string("authority", false, "envoy-admin");
    a.pollMs = <u32>admin.int("poll_ms", false, 1000, 10, 600000);
    a.timeoutMs = <u32>admin.int("timeout_ms", false, 1000, 1, 60000);
    if (r.error == null && a.cluster.length == 0) admin.fail(admin.keyPath("cluster"), "must not be empty");
    c.admin = a;
  }
  const control = r.object("control", false);
  if (control != null) {
    const k = new Control();
    k.pathPrefix = control.string("path_prefix", false, "/drain-signal");
    k.tokenHeader = asciiLower(control.string("token_header", false, "x-drain-token"));
    k.token = control.string("token", true, "");
    if (r.error == null && (!k.pathPrefix.startsWith("/") || k.pathPrefix.endsWith("/") || k.pathPrefix.includes("?"))) {
      control.fail(control.keyPath("path_prefix"), "\"" + k.pathPrefix + "\" must start with / and end without / or ?");
    }
    // A short token is guessable: refuse it rather than guard the drain switch with it.
    if (r.error == null && k.token.length < 16) control.fail(control.keyPath("token"), "must be at least 16 characters");
    c.control = k;
  }
  if (r.error == null && c.timing.deadlineMs < c.timing.windowMs) {
    r.fail("deadline_ms", c.timing.deadlineMs.toString() + " is before the end of window_ms (" + c.timing.windowMs.toString() + ")");
  }
  if (!r.finish()) return new ParsedConfig(null, r.error!);
  return new ParsedConfig(c, "");
}

/** Reads a dialect key (and its text key for custom, and whether a Close follows the signal at
 *  once: by default only for slack-rtm). Records errors in the reader. */
function readSignal(r: ConfigReader, dialectKey: string, textKey: string, closeKey: string, def: string): Signal | null {
  const name = r.string(dialectKey, def.length == 0, def);
  const text = r.string(textKey, false, "");
  const closeIfAbsent = r.bool(closeKey, false, true);
  const closeGiven = closeIfAbsent == r.bool(closeKey, false, false);
  if (r.error != null) return null;
  const d = dialectFromName(name);
  if (d < 0) { r.fail(r.keyPath(dialectKey), "\"" + name + "\" is not one of slack-rtm, socket-mode, close, custom"); return null; }
  if (d == Dialect.Custom && text.length == 0) { r.fail(r.keyPath(textKey), "required when " + dialectKey + " is custom"); return null; }
  if (d != Dialect.Custom && text.length > 0) { r.fail(r.keyPath(textKey), "only allowed when " + dialectKey + " is custom"); return null; }
  if (d == Dialect.Close && closeGiven) { r.fail(r.keyPath(closeKey), "not allowed when " + dialectKey + " is close (the signal is the Close)"); return null; }
  return new Signal(<Dialect>d, text, closeGiven ? closeIfAbsent : closesAtSignalByDefault(<Dialect>d));
}
