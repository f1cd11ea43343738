import { parseConfig } from "../../../filters/drain-signal/config";
import { Dialect } from "../../../filters/drain-signal/signal";

describe("drain-signal configuration", () => {
  it("uses the documented defaults for an empty configuration", () => {
    const c = parseConfig("").config!;
    expect(c.timing.windowMs).toBe(20000);
    expect(c.timing.graceMs).toBe(5000);
    expect(c.timing.deadlineMs).toBe(30000);
    // A worker learns of a drain at its next tick: 200 ms keeps the streams whose moment passed
    // before then to 1% of a 20 s window (bench/drain.ts saw a first-second burst at 1000 ms).
    expect(c.tickMs).toBe(200);
    expect(c.signalFor("messages").dialect).toBe(Dialect.SlackRtm);
    expect(c.signalFor("presence").dialect).toBe(Dialect.SlackRtm);
    expect(c.signalFor("apps").dialect).toBe(Dialect.SocketMode);
    expect(c.signalFor("other").dialect).toBe(Dialect.SlackRtm);
    expect(c.admin).toBeNull();
    expect(c.control).toBeNull();
  });

  it("encodes the slack-rtm signal as an unmasked FIN text frame holding {\"type\":\"goodbye\"}, then Close 1001", () => {
    const s = parseConfig("").config!.signalFor("messages");
    const f = Uint8Array.wrap(s.frame);
    expect(f[0]).toBe(0x81);
    expect(f[1]).toBe(18);
    expect(String.UTF8.decode(f.slice(2, 20).buffer)).toBe('{"type":"goodbye"}');
    expect(f.length).toBe(24);
    expect(f[20]).toBe(0x88);
    expect(f[21]).toBe(2);
    expect((<u32>f[22] << 8) | f[23]).toBe(1001);
    expect(s.closes).toBe(true);
    expect(s.isClose).toBe(false);
    expect(parseConfig("").config!.signalFor("apps").closes).toBe(false);
  });

  it("reads close_at_signal per service and as default_close_at_signal", () => {
    const c = parseConfig('{"default_close_at_signal":false,"services":[{"name":"apps","dialect":"socket-mode","close_at_signal":true},{"name":"m","dialect":"slack-rtm"}]}').config!;
    expect(c.defaultSignal.closes).toBe(false);
    expect(Uint8Array.wrap(c.defaultSignal.frame).length).toBe(20);
    expect(c.signalFor("apps").closes).toBe(true);
    expect(c.signalFor("m").closes).toBe(true);
    expect(parseConfig('{"services":[{"name":"a","dialect":"close","close_at_signal":true}]}').error).toBe("services[0].close_at_signal: not allowed when dialect is close (the signal is the Close)");
    expect(parseConfig('{"default_close_at_signal":"yes"}').error).not.toBeNull();
  });

  it("encodes the socket-mode signal as disconnect with reason refresh_requested", () => {
    const f = Uint8Array.wrap(parseConfig("").config!.signalFor("apps").frame);
    expect(String.UTF8.decode(f.slice(2).buffer)).toBe('{"type":"disconnect","reason":"refresh_requested"}');
  });

  it("reads every key", () => {
    const r = parseConfig('{"service_header":"X-Svc","default_dialect":"close","window_ms":4000,"grace_ms":1000,"deadline_ms":6000,"tick_ms":100,' +
      '"services":[{"name":"apps","dialect":"custom","text":"bye"}],' +
      '"admin":{"cluster":"envoy_admin","authority":"admin","poll_ms":200,"timeout_ms":300},' +
      '"control":{"path_prefix":"/ops/drain","token_header":"X-Ops-Token","token":"0123456789abcdef"}}');
    expect(r.error).toBe("");
    const c = r.config!;
    expect(c.serviceHeader).toBe("x-svc");
    expect(c.defaultSignal.isClose).toBe(true);
    expect(c.signalFor("messages").isClose).toBe(true);
    expect(c.signalFor("apps").text).toBe("bye");
    expect(c.tickMs).toBe(100);
    expect(c.admin!.cluster).toBe("envoy_admin");
    expect(c.admin!.pollMs).toBe(200);
    expect(c.control!.tokenHeader).toBe("x-ops-token");
    expect(c.control!.pathPrefix).toBe("/ops/drain");
  });

  it("refuses an unknown dialect naming the key path", () => {
    expect(parseConfig('{"services":[{"name":"apps","dialect":"rtm"}]}').error)
      .toBe("services[0].dialect: \"rtm\" is not one of slack-rtm, socket-mode, close, custom");
  });

  it("refuses custom without text, and text without custom", () => {
    expect(parseConfig('{"default_dialect":"custom"}').error).toBe("default_text: required when default_dialect is custom");
    expect(parseConfig('{"services":[{"name":"a","dialect":"close","text":"x"}]}').error).toBe("services[0].text: only allowed when dialect is custom");
  });

  it("refuses an unknown key", () => {
    expect(parseConfig('{"window":5}').error.startsWith("window: unknown key")).toBe(true);
  });

  it("refuses a deadline before the window ends", () => {
    expect(parseConfig('{"window_ms":9000,"deadline_ms":8000}').error).toBe("deadline_ms: 8000 is before the end of window_ms (9000)");
  });

  it("refuses a short control token and a control section without one", () => {
    expect(parseConfig('{"control":{"token":"short"}}').error).toBe("control.token: must be at least 16 characters");
    expect(parseConfig('{"control":{}}').error).toBe("control.token: required");
  });

  it("refuses an admin section without a cluster", () => {
    expect(parseConfig('{"admin":{}}').error).toBe("admin.cluster: required");
  });

  it("refuses a service listed twice and a bad service name", () => {
    expect(parseConfig('{"services":[{"name":"a","dialect":"close"},{"name":"a","dialect":"close"}]}').error).toBe("services[1].name: service \"a\" listed twice");
    expect(parseConfig('{"services":[{"name":"a b","dialect":"close"}]}').error).toBe("services[0].name: \"a b\" is not a service name (1-64 of A-Z a-z 0-9 . _ -)");
  });

  it("refuses text that is not JSON", () => {
    expect(parseConfig("{window_ms: 1}").config).toBeNull();
  });
});
