// Retry-After for rejected upgrades, jittered so that clients rejected together (a reconnect
// storm) come back spread over a window instead of together.
//
// seconds = base - spread + (mix(seed) mod (2 * spread + 1)), never below 1.
// mix is SplitMix64's output function (sdk/hash.ts; Steele, Lea, Flood: "Fast splittable pseudorandom number
// generators", 2014): every seed bit flips about half the output bits, so consecutive seeds
// (context ids, nanosecond clocks) land far apart.
import { mix64 } from "../../sdk/hash";
// Re-exported for the specs that check the spread.
export { mix64 };

/** Retry-After seconds in [max(1, base - spread), base + spread]. */
export function retryAfterSeconds(baseS: u32, spreadS: u32, seed: u64): u32 {
  if (spreadS == 0) return baseS < 1 ? 1 : baseS;
  const width = <u64>spreadS * 2 + 1;
  const offset = <i64>(mix64(seed) % width) - <i64>spreadS;
  const s = <i64>baseS + offset;
  return s < 1 ? 1 : <u32>s;
}
