import { FrameReader, Opcode, WsError } from "../../../sdk/websocket";
import { hex, filler, concat, ptrOf } from "./bytes";

// One stream with every shape the reader must follow: a fragmented Text with a Ping between its
// fragments, masked data and control frames, 7-, 16- and 64-bit lengths, an empty masked Ping
// inside a fragmented Binary, and a final Close.
//
//  #  bytes                                  frame                         start  payload  end
//  0  01 03 48 65 6c                         Text "Hel", no FIN                0      2      5
//  1  89 05 48 65 6c 6c 6f                   Ping "Hello"                      5      7     12
//  2  80 02 6c 6f                            Continuation "lo", FIN           12     14     16
//  3  81 85 37 fa 21 3d 7f 9f 4d 51 58       masked Text "Hello"              16     22     27
//  4  8a 85 37 fa 21 3d 7f 9f 4d 51 58       masked Pong "Hello"              27     33     38
//  5  82 7e 00 80 + 128 bytes                Binary, 16-bit length            38     42    170
//  6  02 fe 00 7e 01 02 03 04 + 126 bytes    masked Binary, 16-bit, no FIN   170    178    304
//  7  89 80 01 02 03 04                      masked empty Ping               304    310    310
//  8  80 7f 00 00 00 00 00 01 00 00 + 65536  Continuation, 64-bit, FIN       310    320  65856
//  9  88 02 03 e8                            Close 1000                    65856  65858  65860
const STREAM = concat([
  hex("01 03 48 65 6c"),
  hex("89 05 48 65 6c 6c 6f"),
  hex("80 02 6c 6f"),
  hex("81 85 37 fa 21 3d 7f 9f 4d 51 58"),
  hex("8a 85 37 fa 21 3d 7f 9f 4d 51 58"),
  hex("82 7e 00 80"), filler(128),
  hex("02 fe 00 7e 01 02 03 04"), filler(126),
  hex("89 80 01 02 03 04"),
  hex("80 7f 00 00 00 00 00 01 00 00"), filler(65536),
  hex("88 02 03 e8"),
]);
const STARTS: u64[] = [0, 5, 12, 16, 27, 38, 170, 304, 310, 65856];
const PAYLOADS: u64[] = [2, 7, 14, 22, 33, 42, 178, 310, 320, 65858];
const ENDS: u64[] = [5, 12, 16, 27, 38, 170, 304, 310, 65856, 65860];
const OPCODES: i32[] = [Opcode.Text, Opcode.Ping, Opcode.Continuation, Opcode.Text, Opcode.Pong,
  Opcode.Binary, Opcode.Binary, Opcode.Ping, Opcode.Continuation, Opcode.Close];
const FINS: bool[] = [false, true, true, true, true, true, false, true, true, true];
const MASKED: bool[] = [false, false, false, true, true, false, true, true, false, false];
// After frame #i completes:
const MESSAGES: u64[] = [0, 0, 1, 2, 2, 3, 3, 3, 4, 4];
const IN_MESSAGE: bool[] = [true, true, false, false, false, false, true, true, false, false];

// What a reader must report after exactly `at` bytes of STREAM, however they were chunked.
// checkAt() runs the expectations (which name the split) only when something differs, so the
// loops over every split point stay fast; it returns whether the state matched.
function checkAt(r: FrameReader, at: u64, label: string, split: usize): bool {
  let done = 0;
  while (done < ENDS.length && ENDS[done] <= at) done++;
  const boundary = done == ENDS.length || STARTS[done] == at;
  const pending: u64 = done < ENDS.length && at >= PAYLOADS[done] ? ENDS[done] - at : 0;
  let ok = r.error == WsError.None && r.offset == at && r.frames == <u64>done
    && r.atFrameBoundary() == boundary && r.pendingPayload == pending;
  if (done > 0) {
    ok = ok && r.messages == MESSAGES[done - 1] && r.lastOpcode == OPCODES[done - 1]
      && r.lastFin == FINS[done - 1] && r.lastMasked == MASKED[done - 1]
      && r.inFragmentedMessage() == IN_MESSAGE[done - 1] && r.closeSeen == (done == ENDS.length)
      && r.canInject() == (boundary && !IN_MESSAGE[done - 1] && done < ENDS.length);
  } else {
    ok = ok && r.messages == 0 && r.lastOpcode == -1 && r.canInject() == boundary;
  }
  if (!ok) expectStateAt(r, at, label + " " + split.toString());
  return ok;
}

function expectStateAt(r: FrameReader, at: u64, where: string): void {
  let done = 0;
  while (done < ENDS.length && ENDS[done] <= at) done++;
  expect(r.error).toBe(WsError.None, where);
  expect(r.offset).toBe(at, where);
  expect(r.frames).toBe(<u64>done, where);
  expect(r.messages).toBe(done > 0 ? MESSAGES[done - 1] : 0, where);
  const boundary = done == ENDS.length || STARTS[done] == at;
  expect(r.atFrameBoundary()).toBe(boundary, where);
  const pending: u64 = done < ENDS.length && at >= PAYLOADS[done] ? ENDS[done] - at : 0;
  expect(r.pendingPayload).toBe(pending, where);
  if (done > 0) {
    expect(r.lastOpcode).toBe(OPCODES[done - 1], where);
    expect(r.lastFin).toBe(FINS[done - 1], where);
    expect(r.lastMasked).toBe(MASKED[done - 1], where);
    expect(r.inFragmentedMessage()).toBe(IN_MESSAGE[done - 1], where);
    expect(r.closeSeen).toBe(done == ENDS.length, where);
    expect(r.canInject()).toBe(boundary && !IN_MESSAGE[done - 1] && done < ENDS.length, where);
  } else {
    expect(r.lastOpcode).toBe(-1, where);
  }
}

describe("FrameReader across chunk splits", () => {
  it("finds all 10 frames and 4 messages in the whole stream", () => {
    const r = new FrameReader();
    expect(r.scan(ptrOf(STREAM), <usize>STREAM.byteLength)).toBe(10);
    expectStateAt(r, ENDS[9], "whole stream");
  });

  it("reports the same state at every split point of the stream cut in two", () => {
    const p = ptrOf(STREAM);
    const n = <usize>STREAM.byteLength;
    let matched = 0;
    for (let s: usize = 0; s <= n; s++) {
      const r = new FrameReader();
      const a = r.scan(p, s);
      if (checkAt(r, <u64>s, "after the first chunk of split", s)) matched++;
      const b = r.scan(p + s, n - s);
      if (a + b != 10) expect(a + b).toBe(10, "split " + s.toString());
      if (checkAt(r, <u64>n, "after both chunks of split", s)) matched++;
    }
    expect(matched).toBe(2 * (<i32>n + 1));
  });

  it("follows the stream fed one byte at a time", () => {
    const p = ptrOf(STREAM);
    const n = <usize>STREAM.byteLength;
    const r = new FrameReader();
    let total = 0;
    let matched = 0;
    for (let i: usize = 0; i < n; i++) {
      total += r.scan(p + i, 1);
      if (checkAt(r, <u64>(i + 1), "1-byte chunks, after byte", i)) matched++;
    }
    expect(total).toBe(10);
    expect(matched).toBe(<i32>n);
    expectStateAt(r, <u64>n, "after the last byte");
  });

  it("reports the same state for every pair of split points in the first 170 bytes", () => {
    const p = ptrOf(STREAM);
    const n: usize = 170;
    let pairs = 0;
    let matched = 0;
    for (let s: usize = 0; s <= n; s++) {
      for (let t: usize = s; t <= n; t++) {
        const r = new FrameReader();
        const a = r.scan(p, s);
        const b = r.scan(p + s, t - s);
        if (checkAt(r, <u64>t, "after the second chunk, first split at " + s.toString() + ", second split", t)) matched++;
        const c = r.scan(p + t, n - t);
        if (a + b + c != 6) expect(a + b + c).toBe(6, "splits " + s.toString() + "," + t.toString());
        if (checkAt(r, <u64>n, "after the third chunk, first split at " + s.toString() + ", second split", t)) matched++;
        pairs++;
      }
    }
    expect(pairs).toBe(171 * 172 / 2);
    expect(matched).toBe(2 * pairs);
  });

  it("visits every frame in order with scanFrame over random-sized chunks", () => {
    const p = ptrOf(STREAM);
    const n = <usize>STREAM.byteLength;
    const r = new FrameReader();
    let seed: u32 = 12345;
    let at: usize = 0;
    let k = 0;
    while (at < n) {
      seed = seed * 1103515245 + 12345;
      let chunk = <usize>((seed >> 16) % 37) + 1;
      if (chunk > n - at) chunk = n - at;
      let used: usize = 0;
      while (used < chunk) {
        const c = r.scanFrame(p + at + used, chunk - used);
        expect(c).toBeGreaterThan(0);
        used += <usize>c;
        if (r.frames > <u64>k) {
          expect(r.offset).toBe(ENDS[k], "frame " + k.toString());
          expect(r.lastOpcode).toBe(OPCODES[k], "frame " + k.toString());
          expect(r.lastFin).toBe(FINS[k], "frame " + k.toString());
          k++;
        }
      }
      at += chunk;
    }
    expect(k).toBe(10);
  });
});
