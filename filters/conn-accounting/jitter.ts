// Retry-After for rejected upgrades, jittered so that clients rejected together (a reconnect
// storm) come back spread over a window instead of together.
//
// seconds = base - spread + (mix(seed) mod (2 * spread + 1)), never below 1.
// mix is splitmix64's finaliser (Steele, Lea, Flood: "Fast splittable pseudorandom number
// generators", 2014): every seed bit flips about half the output bits, so consecutive seeds
// (context ids, nanosecond clocks) land far apart.

@inline
export function mix64(x: u64): u64 {
  x += 0x9e3779b97f4a7c15;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9;
  x = (x ^ (x >> 27)) * 0x94d049bb133111eb;
  return x ^ (x >> 31);
}

/** Retry-After seconds in [max(1, base - spread), base + spread]. */
export function retryAfterSeconds(baseS: u32, spreadS: u32, seed: u64): u32 {
  if (spreadS == 0) return baseS < 1 ? 1 : baseS;
  const width = <u64>spreadS * 2 + 1;
  const offset = <i64>(mix64(seed) % width) - <i64>spreadS;
  const s = <i64>baseS + offset;
  return s < 1 ? 1 : <u32>s;
}
