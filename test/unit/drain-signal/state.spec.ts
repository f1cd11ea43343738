import { DrainEntry, DrainPhase, DrainTable, ALL_SERVICES, isServiceName } from "../../../filters/drain-signal/state";

function entry(scope: string, start: u64, cancelled: bool = false): DrainEntry {
  const e = new DrainEntry();
  e.scope = scope; e.generation = 1; e.startedAtMs = start;
  e.windowMs = 20000; e.graceMs = 5000; e.deadlineMs = 30000; e.cancelled = cancelled;
  return e;
}

describe("drain table", () => {
  it("encodes as a readable text table and decodes to the same entries", () => {
    const t = new DrainTable();
    t.put(entry(ALL_SERVICES, 1700000000000));
    t.put(entry("apps", 1700000001000, true));
    const text = t.encode();
    expect(text).toBe("drain-signal v1\n* 1 1700000000000 20000 5000 30000 active operator\napps 1 1700000001000 20000 5000 30000 cancelled operator");
    const back = DrainTable.decode(text)!;
    expect(back.entries.length).toBe(2);
    expect(back.encode()).toBe(text);
  });

  it("refuses a table with a wrong field count and names the line", () => {
    expect(DrainTable.decode("drain-signal v1\n* 1 2 3")).toBeNull();
    expect(DrainTable.lastError).toBe("drain_signal.state line 2: expected 8 fields, got 4");
  });

  it("refuses a table without the version line", () => {
    expect(DrainTable.decode("* 1 2 3 4 5 active operator")).toBeNull();
  });

  it("applies the all-services drain and a service's own drain, choosing the earlier", () => {
    const t = new DrainTable();
    t.put(entry("messages", 5000));
    t.put(entry(ALL_SERVICES, 9000));
    expect(t.effectiveFor("messages")!.scope).toBe("messages");
    expect(t.effectiveFor("apps")!.scope).toBe(ALL_SERVICES);
  });

  it("ignores cancelled drains", () => {
    const t = new DrainTable();
    t.put(entry("messages", 5000, true));
    expect(t.effectiveFor("messages")).toBeNull();
    expect(t.anyActive()).toBe(false);
  });

  it("moves through window, grace and deadline phases", () => {
    const e = entry(ALL_SERVICES, 1000);
    expect(e.phaseAt(1000)).toBe(DrainPhase.Window);
    expect(e.phaseAt(21000)).toBe(DrainPhase.Grace);
    expect(e.phaseAt(31000)).toBe(DrainPhase.Deadline);
  });

  it("accepts service names of letters, digits, dot, underscore and dash only", () => {
    expect(isServiceName("messages")).toBe(true);
    expect(isServiceName("a.b_c-1")).toBe(true);
    expect(isServiceName("")).toBe(false);
    expect(isServiceName("a b")).toBe(false);
    expect(isServiceName("a%20")).toBe(false);
  });
});
