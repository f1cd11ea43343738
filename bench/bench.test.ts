// The bench's own fixtures and helpers: a wrong frame stream or median would make every figure
// wrong without failing anything else. Run: node --import tsx --test bench/bench.test.ts
import assert from "node:assert/strict";
import { test } from "node:test";
import { median, ratio, table, target } from "./lib.ts";
import { wsStream } from "./websocket.ts";

/** Walks RFC 6455 5.2 frame headers; returns the frames, or throws where a header is cut. */
function frames(s: Uint8Array): { fin: boolean; opcode: number; masked: boolean; len: number }[] {
  const out = [];
  let o = 0;
  while (o < s.length) {
    const b0 = s[o], b1 = s[o + 1];
    let len = b1 & 0x7f, h = 2;
    assert.notEqual(len, 127, `64-bit length at ${o}`);
    if (len === 126) { len = (s[o + 2] << 8) | s[o + 3]; h = 4; }
    const masked = (b1 & 0x80) !== 0;
    if (masked) h += 4;
    out.push({ fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, masked, len });
    o += h + len;
    assert.ok(o <= s.length, `frame at ${o - h - len} runs past the end`);
  }
  return out;
}

test("the server stream is whole unmasked FIN text frames plus one binary filler, a multiple of 1 KiB long", () => {
  const s = wsStream("server");
  assert.equal(s.length % 1024, 0);
  const f = frames(s);
  assert.ok(f.length > 200, `${f.length} frames`);
  assert.ok(f.every((x) => x.fin && !x.masked));
  assert.ok(f.slice(0, -1).every((x) => x.opcode === 1 && x.len >= 60 && x.len <= 900));
  assert.equal(f[f.length - 1].opcode, 2);
});

test("the client stream is masked text frames of 20..200 bytes, as browsers send them", () => {
  const s = wsStream("client");
  assert.equal(s.length % 1024, 0);
  const f = frames(s);
  assert.ok(f.every((x) => x.fin && x.masked));
  assert.ok(f.slice(0, -1).every((x) => x.opcode === 1 && x.len >= 20 && x.len <= 200));
  const len = s[1] & 0x7f, key = s.subarray(2, 6);
  const text = Buffer.from(s.subarray(6, 6 + len).map((b, i) => b ^ key[i & 3])).toString("utf8");
  assert.deepEqual(JSON.parse(text), { type: "ping", id: 0 });
});

test("a server frame's payload is the JSON text it says, unmasked", () => {
  const s = wsStream("server");
  const len = s[1] === 126 ? (s[2] << 8) | s[3] : s[1];
  const h = s[1] === 126 ? 4 : 2;
  const msg = JSON.parse(Buffer.from(s.subarray(h, h + len)).toString("utf8"));
  assert.equal(msg.type, "message");
  assert.equal(msg.channel, "C024BE91L");
});

test("median takes the middle of an odd count and the mean of the two middles of an even count", () => {
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, 1, 3, 2]), 2.5);
});

test("ratio is null when either side was not measured", () => {
  assert.equal(ratio(3, 2), 1.5);
  assert.equal(ratio(null, 2), null);
  assert.equal(ratio(3, undefined), null);
  assert.equal(ratio(3, 0), null);
});

test("a target over its limit is marked missed, and one not measured is unknown", () => {
  assert.equal(target("x", 5, 4, "x").met, false);
  assert.equal(target("x", 4, 4, "x").met, true);
  assert.equal(target("x", null, 4, "x").met, null);
});

test("a table prints numbers right-aligned, text left-aligned and a missing figure as a dash", () => {
  const out = table("T", ["module", "ns", "note"], [["ours", 1234.4, "fast"], ["peer", null, "x"]]);
  assert.deepEqual(out.trim().split("\n"), [
    "T",
    "| module |    ns | note |",
    "|--------|------:|------|",
    "| ours   | 1,234 | fast |",
    "| peer   |     - | x    |",
  ]);
});

test("the summary marks the 128 B target on the state per open websocket only, not on the footprint between collections", async () => {
  const { execFileSync } = await import("node:child_process");
  const { mkdtempSync, writeFileSync } = await import("node:fs");
  const { join } = await import("node:path");
  const { tmpdir } = await import("node:os");
  const reading = (bytes: number) => ({ opened: 3000, before: 524288, after: 2097152, growthOverOpened: 500, bytesPerWebsocket: bytes });
  const results = {
    started: "2026-01-01T00:00:00.000Z", rounds: 7, machine: { cpus: 2, cpuModel: "test", node: "v20" },
    results: { perWebsocket: { "drain-signal": { state: reading(302.7), betweenCollections: reading(427.2) } } },
    targets: [{ what: "drain-signal state per open websocket (collection at every callback exit)", value: 302.7, limit: 128, unit: "B", met: false }],
  };
  const file = join(mkdtempSync(join(tmpdir(), "bench-summary-")), "run.json");
  writeFileSync(file, JSON.stringify(results));
  const out = execFileSync(process.execPath, ["--import", "tsx", "bench/summary.ts", file], { encoding: "utf8" });
  const rows = out.split("\n").filter((l) => l.startsWith("| drain-signal"));
  assert.deepEqual(rows, [
    "| drain-signal state per open websocket, collection at every callback exit (B) | 303 |  | <= 128 | **missed** |",
    "| drain-signal footprint per open websocket between collections, default schedule (B) | 427 | state + garbage not yet collected |  |  |",
  ]);
});
