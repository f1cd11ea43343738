// Shard selection by rendezvous (highest-random-weight) hashing: each shard cluster scores
// mix(hash(key) ^ seed(cluster)) and the highest score wins. The same key always picks the same
// cluster; a new cluster takes only the keys it now outscores (about 1/(N+1) of them) and
// removing one moves only its own keys. Seeds come from cluster names, not positions, so
// reordering the configured list moves nothing.
//
// hash = FNV-1a 64 over the key's UTF-8 bytes; mix = MurmurHash3's fmix64 finalizer. Both are
// written out here so a control plane can predict placements.
import { codeAt } from "../../sdk/ascii";
import { regionEquals } from "./ascii";

const FNV_OFFSET: u64 = 0xcbf29ce484222325;
const FNV_PRIME: u64 = 0x100000001b3;

@inline
function fnvByte(h: u64, b: u32): u64 {
  return (h ^ <u64>b) * FNV_PRIME;
}

/** FNV-1a 64 of the UTF-8 encoding of `s`. */
export function hashKey(s: string): u64 {
  let h = FNV_OFFSET;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = codeAt(s, i);
    if (c < 0x80) {
      h = fnvByte(h, c);
      continue;
    }
    // Non-ASCII: hash the UTF-8 bytes (rare for shard keys; one allocation, no special rules).
    const bytes = Uint8Array.wrap(String.UTF8.encode(s));
    h = FNV_OFFSET;
    for (let k = 0; k < bytes.length; k++) h = fnvByte(h, unchecked(bytes[k]));
    return h;
  }
  return h;
}

/** MurmurHash3 fmix64. */
@inline
export function mix64(x: u64): u64 {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccd;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53;
  x ^= x >> 33;
  return x;
}

@final
export class ShardSet {
  readonly clusters: string[];
  private seeds: StaticArray<u64>;

  constructor(clusters: string[]) {
    this.clusters = clusters;
    this.seeds = new StaticArray<u64>(clusters.length);
    for (let i = 0; i < clusters.length; i++) this.seeds[i] = hashKey(clusters[i]);
  }

  /** Index in `clusters` of the shard for `key`. */
  pickIndex(key: string): i32 {
    const h = hashKey(key);
    const seeds = this.seeds;
    let best: i32 = 0;
    let bestScore: u64 = 0;
    for (let i = 0; i < seeds.length; i++) {
      const score = mix64(h ^ unchecked(seeds[i]));
      // Ties (probability 2^-64) go to the lexically smaller cluster name, not the position.
      if (i == 0 || score > bestScore ||
          (score == bestScore && this.clusters[i] < this.clusters[best])) {
        best = i;
        bestScore = score;
      }
    }
    return best;
  }

  pick(key: string): string {
    return unchecked(this.clusters[this.pickIndex(key)]);
  }
}

/**
 * The value of query parameter `name` in `path` ("/presence?team=T1&x=y"), compared as sent
 * (no percent-decoding); null when absent or empty. A fragment ends the query.
 */
export function queryParam(path: string, name: string): string | null {
  const n = path.length;
  let i = 0;
  while (i < n && codeAt(path, i) != 0x3f) {
    if (codeAt(path, i) == 0x23) return null; // '#' before any '?': no query
    i++;
  }
  if (i == n) return null;
  i++;
  const m = name.length;
  while (i < n) {
    let end = i;
    while (end < n) {
      const c = codeAt(path, end);
      if (c == 0x26 || c == 0x23) break; // '&' or '#'
      end++;
    }
    if (end - i > m + 1 && codeAt(path, i + m) == 0x3d && regionEquals(path, i, name)) {
      return path.substring(i + m + 1, end);
    }
    if (end >= n || codeAt(path, end) == 0x23) return null;
    i = end + 1;
  }
  return null;
}
