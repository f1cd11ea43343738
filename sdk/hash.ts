// Hashes shared by filters (pure code, valid anywhere).

/** SplitMix64's output function (Steele, Lea, Flood: "Fast splittable pseudorandom number
 *  generators", 2014): adds the golden gamma, then finalises. Every input bit flips about half
 *  the output bits, so consecutive inputs (context ids, connection ids, clocks) land far apart.
 *  mix64(0) is SplitMix64's first output from seed 0, 0xe220a8397b1dcdaf. */
// @ts-ignore: decorator
@inline
export function mix64(x: u64): u64 {
  x += 0x9e3779b97f4a7c15;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9;
  x = (x ^ (x >> 27)) * 0x94d049bb133111eb;
  return x ^ (x >> 31);
}
