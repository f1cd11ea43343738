import { signalOffsetMs, mix64 } from "../../../filters/drain-signal/schedule";

describe("signal schedule", () => {
  it("puts every connection's signal inside the window", () => {
    let outside: i64 = -1;
    for (let id: u64 = 0; id < 5000; id++) if (signalOffsetMs(id, 20000) >= 20000) { outside = <i64>id; break; }
    expect(outside).toBe(-1, "first connection id whose offset is outside the window");
  });

  it("spreads sequential connection ids uniformly: each of 20 slices of the window gets 5% +- 0.6%", () => {
    const n: u64 = 20000;
    const bins = new StaticArray<i32>(20);
    for (let id: u64 = 1; id <= n; id++) bins[<i32>(signalOffsetMs(id, 20000) / 1000)]++;
    // Binomial(20000, 0.05): sd ~ 31; 120 is ~4 sd, far outside what a uniform hash produces.
    for (let b = 0; b < 20; b++) {
      expect(abs(bins[b] - 1000) <= 120).toBe(true, "slice " + b.toString() + " has " + bins[b].toString());
    }
  });

  it("spreads a window of a few seconds with no second holding more than 1.2x the mean", () => {
    const bins = new StaticArray<i32>(4);
    for (let id: u64 = 1000; id < 3000; id++) bins[<i32>(signalOffsetMs(id, 4000) / 1000)]++;
    for (let b = 0; b < 4; b++) expect(bins[b] <= 600).toBe(true, "second " + b.toString() + ": " + bins[b].toString());
  });

  it("gives the same moment for the same connection id on every worker", () => {
    expect(signalOffsetMs(12345, 20000)).toBe(signalOffsetMs(12345, 20000));
    expect(mix64(7)).not.toBe(mix64(8));
  });

  it("signals at once when the window is zero", () => {
    expect(signalOffsetMs(99, 0)).toBe(0);
  });
});
