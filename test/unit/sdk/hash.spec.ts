import { mix64 } from "../../../sdk/hash";

describe("mix64", () => {
  it("gives SplitMix64's published outputs for seed 0", () => {
    // State advances by the golden gamma per output: mix64(k * gamma) is output k + 1.
    expect(mix64(0)).toBe(0xe220a8397b1dcdaf);
    expect(mix64(0x9e3779b97f4a7c15)).toBe(0x6e789e6aa1b965f4);
  });
});
