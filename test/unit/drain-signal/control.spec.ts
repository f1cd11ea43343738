import { parseControlRequest, applyControl, applyEnvoyDraining, isControlPath, ControlAction, DrainTiming } from "../../../filters/drain-signal/control";
import { DrainTable, ALL_SERVICES } from "../../../filters/drain-signal/state";

const P = "/drain-signal";

describe("control requests", () => {
  it("recognises the prefix only as a whole path segment", () => {
    expect(isControlPath("/drain-signal/start", P)).toBe(true);
    expect(isControlPath("/drain-signal?x", P)).toBe(true);
    expect(isControlPath("/drain-signalx/start", P)).toBe(false);
    expect(isControlPath("/messages", P)).toBe(false);
  });

  it("parses a start for one service with a window", () => {
    const r = parseControlRequest("POST", "/drain-signal/start?service=messages&window_ms=4000", P);
    expect(r.error).toBe("");
    expect(r.action).toBe(ControlAction.Start);
    expect(r.scope).toBe("messages");
    expect(r.windowMs).toBe(4000);
  });

  it("refuses a bad window with the reason", () => {
    expect(parseControlRequest("POST", "/drain-signal/start?window_ms=ten", P).error)
      .toBe("window_ms: \"ten\" is not a whole number of milliseconds in [0, 4294967295]");
  });

  it("refuses an unknown parameter, a repeated one, a bad service and a wrong method", () => {
    expect(parseControlRequest("POST", "/drain-signal/start?windowms=1", P).error).toBe("unknown query parameter \"windowms\" for /drain-signal/start");
    expect(parseControlRequest("POST", "/drain-signal/start?service=a&service=b", P).error).toBe("query parameter \"service\" given twice");
    expect(parseControlRequest("POST", "/drain-signal/cancel?service=a/b", P).error).toBe("service: \"a/b\" is not a service name (1-64 of A-Z a-z 0-9 . _ -)");
    expect(parseControlRequest("GET", "/drain-signal/start", P).error).toBe("/drain-signal/start needs method POST, got GET");
    expect(parseControlRequest("POST", "/drain-signal/stop", P).error).toBe("unknown control path \"/drain-signal/stop\": use /drain-signal/start, /drain-signal/cancel or /drain-signal/status");
  });

  it("starts a drain, keeps the configured tail between window end and deadline, and says what it did", () => {
    const t = new DrainTable();
    const out = applyControl(t, parseControlRequest("POST", "/drain-signal/start?window_ms=4000", P), new DrainTiming(), 1000);
    expect(out.changed).toBe(true);
    expect(out.body).toBe('{"action":"started","drain":{"scope":"all","generation":1,"started_at_ms":1000,"window_ms":4000,"grace_ms":5000,"deadline_ms":14000,"cancelled":false,"source":"operator"}}');
  });

  it("answers a second start of the same scope without changing the drain", () => {
    const t = new DrainTable();
    applyControl(t, parseControlRequest("POST", "/drain-signal/start", P), new DrainTiming(), 1000);
    const again = applyControl(t, parseControlRequest("POST", "/drain-signal/start", P), new DrainTiming(), 5000);
    expect(again.changed).toBe(false);
    expect(again.body.startsWith('{"action":"already_draining"')).toBe(true);
    expect(t.find(ALL_SERVICES)!.startedAtMs).toBe(1000);
  });

  it("refuses a deadline before the window ends", () => {
    const out = applyControl(new DrainTable(), parseControlRequest("POST", "/drain-signal/start?window_ms=9000&deadline_ms=8000", P), new DrainTiming(), 0);
    expect(out.status).toBe(400);
    expect(out.changed).toBe(false);
  });

  it("cancels a service drain and reports none when nothing is draining", () => {
    const t = new DrainTable();
    applyControl(t, parseControlRequest("POST", "/drain-signal/start?service=apps", P), new DrainTiming(), 0);
    const c = applyControl(t, parseControlRequest("POST", "/drain-signal/cancel?service=apps", P), new DrainTiming(), 10);
    expect(c.changed).toBe(true);
    expect(t.effectiveFor("apps")).toBeNull();
    const none = applyControl(t, parseControlRequest("POST", "/drain-signal/cancel", P), new DrainTiming(), 10);
    expect(none.body).toBe('{"action":"none","reason":"no active drain for all"}');
  });

  it("starts one all-services drain when Envoy drains, and does not restart it after an operator cancels it", () => {
    const t = new DrainTable();
    expect(applyEnvoyDraining(t, new DrainTiming(), 100)).toBe(true);
    expect(applyEnvoyDraining(t, new DrainTiming(), 200)).toBe(false);
    t.find(ALL_SERVICES)!.cancelled = true;
    expect(applyEnvoyDraining(t, new DrainTiming(), 300)).toBe(false);
  });
});
