import { retryAfterSeconds, mix64 } from "../../../filters/conn-accounting/jitter";

describe("retryAfterSeconds", () => {
  it("stays within base +/- spread for many seeds", () => {
    for (let seed: u64 = 0; seed < 10000; seed++) {
      const s = retryAfterSeconds(10, 5, seed);
      expect(s >= 5 && s <= 15).toBe(true);
    }
  });

  it("spreads consecutive seeds over the whole window", () => {
    const seen = new StaticArray<i32>(11);
    for (let seed: u64 = 0; seed < 1100; seed++) seen[retryAfterSeconds(10, 5, seed) - 5]++;
    // Each of the 11 values gets roughly 100 of 1100; none is missing or dominant.
    for (let i = 0; i < 11; i++) expect(seen[i] > 50 && seen[i] < 150).toBe(true);
  });

  it("never answers less than 1 second", () => {
    for (let seed: u64 = 0; seed < 1000; seed++) expect(retryAfterSeconds(1, 3, seed) >= 1).toBe(true);
    expect(retryAfterSeconds(0, 0, 7)).toBe(1);
  });

  it("answers base exactly when spread is 0", () => {
    expect(retryAfterSeconds(30, 0, 12345)).toBe(30);
  });

  it("depends on the seed", () => {
    expect(mix64(1) != mix64(2)).toBe(true);
  });
});
