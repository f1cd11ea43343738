import { ShardSet, hashKey, queryParam } from "../../../filters/ws-router/shard";

const KEYS = 20000;

function key(i: i32): string {
  return "T" + i.toString(36).toUpperCase();
}

function clusters(n: i32): string[] {
  const out = new Array<string>(0);
  for (let i = 0; i < n; i++) out.push("presence-" + i.toString());
  return out;
}

/** Fraction of KEYS whose shard changes when going from n to n+1 shards; asserts every moved key went to the new shard. */
function movedFraction(n: i32): f64 {
  const before = new ShardSet(clusters(n));
  const after = new ShardSet(clusters(n + 1));
  const added = "presence-" + n.toString();
  let moved = 0;
  for (let i = 0; i < KEYS; i++) {
    const a = before.pick(key(i));
    const b = after.pick(key(i));
    if (a != b) {
      moved++;
      expect(b).toBe(added);
    }
  }
  return <f64>moved / <f64>KEYS;
}

describe("shard selection", () => {
  it("hashes with FNV-1a 64 over UTF-8 (published test vectors)", () => {
    expect(hashKey("")).toBe(0xcbf29ce484222325);
    expect(hashKey("a")).toBe(0xaf63dc4c8601ec8c);
    expect(hashKey("foobar")).toBe(0x85944171f73967e8);
    // "é" is C3 A9 in UTF-8: the same as hashing those two bytes.
    expect(hashKey("é")).not.toBe(hashKey("\u00c3\u00a9"));
  });

  it("sends the same key to the same shard every time and in every new set", () => {
    const a = new ShardSet(clusters(4));
    for (let i = 0; i < 1000; i++) {
      const first = a.pick(key(i));
      expect(a.pick(key(i))).toBe(first);
      expect(new ShardSet(clusters(4)).pick(key(i))).toBe(first);
    }
  });

  it("does not depend on the order clusters are listed in", () => {
    const a = new ShardSet(["presence-a", "presence-b", "presence-c"]);
    const b = new ShardSet(["presence-c", "presence-a", "presence-b"]);
    for (let i = 0; i < 2000; i++) expect(b.pick(key(i))).toBe(a.pick(key(i)));
  });

  it("spreads keys evenly: each of 4 shards gets 25% +- 3% of 20000 keys", () => {
    const s = new ShardSet(clusters(4));
    const counts = new StaticArray<i32>(4);
    for (let i = 0; i < KEYS; i++) counts[s.pickIndex(key(i))]++;
    for (let k = 0; k < 4; k++) {
      const share = <f64>counts[k] / <f64>KEYS;
      log<string>("shard " + k.toString() + " share " + share.toString());
      expect(share).toBeGreaterThan(0.22);
      expect(share).toBeLessThan(0.28);
    }
  });

  it("moves about 1/(N+1) of keys, all to the new shard, when a shard is added", () => {
    const ns: i32[] = [1, 2, 3, 4, 7, 9];
    for (let j = 0; j < ns.length; j++) {
      const n = ns[j];
      const f = movedFraction(n);
      const ideal = 1.0 / <f64>(n + 1);
      log<string>("shards " + n.toString() + " -> " + (n + 1).toString() + ": moved " + f.toString() + " (ideal " + ideal.toString() + ")");
      expect(f).toBeGreaterThan(ideal * 0.85);
      expect(f).toBeLessThan(ideal * 1.15);
    }
  });

  it("moves only the removed shard's keys when a shard is removed", () => {
    const all = new ShardSet(["s0", "s1", "s2", "s3", "s4"]);
    const less = new ShardSet(["s0", "s1", "s3", "s4"]);
    for (let i = 0; i < 5000; i++) {
      const a = all.pick(key(i));
      if (a != "s2") expect(less.pick(key(i))).toBe(a);
    }
  });

  it("always picks the only shard of a one-shard set", () => {
    const s = new ShardSet(["only"]);
    expect(s.pick("T1")).toBe("only");
    expect(s.pick("")).toBe("only");
  });
});

describe("query parameters", () => {
  it("finds a parameter anywhere in the query", () => {
    expect(queryParam("/presence?team=T1", "team")).toBe("T1");
    expect(queryParam("/presence?a=1&team=T2&b=2", "team")).toBe("T2");
    expect(queryParam("/presence?team=T3#frag", "team")).toBe("T3");
  });

  it("returns null when the parameter is absent, empty, a longer name or past the fragment", () => {
    expect(queryParam("/presence", "team")).toBeNull();
    expect(queryParam("/presence?team=", "team")).toBeNull();
    expect(queryParam("/presence?teams=T1", "team")).toBeNull();
    expect(queryParam("/presence?xteam=T1", "team")).toBeNull();
    expect(queryParam("/presence#?team=T1", "team")).toBeNull();
    expect(queryParam("/presence?a#team=T1", "team")).toBeNull();
  });

  it("keeps the value as sent, without percent-decoding", () => {
    expect(queryParam("/p?team=T%31", "team")).toBe("T%31");
  });
});
