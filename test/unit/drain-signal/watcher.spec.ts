import { FrameWatcher, Edit, Phase } from "../../../filters/drain-signal/watcher";
import { DrainEntry } from "../../../filters/drain-signal/state";
import { FrameReader } from "../../../sdk/websocket";

// Server->client frames as they come from a backend (unmasked):
const HELLO = "81 05 68 65 6c 6c 6f";          // Text "hello", FIN
const FRAG_START = "01 02 61 62";              // Text "ab", no FIN: a fragmented message opens
const PING = "89 00";                          // Ping between fragments (allowed, RFC 6455 5.4)
const FRAG_END = "80 02 63 64";                // Continuation "cd", FIN: the message ends
const DEFLATED = "c1 03 4a 04 00";             // Text with RSV1 (permessage-deflate)
const SERVER_CLOSE = "88 02 03 e8";            // Close 1000
const GOODBYE_FRAME = "81 12 7b 22 74 79 70 65 22 3a 22 67 6f 6f 64 62 79 65 22 7d"; // {"type":"goodbye"}
const CLOSE_1001 = "88 02 03 e9";

function hex(s: string): Uint8Array {
  const parts = s.trim().split(" ");
  const out = new Uint8Array(parts.length);
  for (let i = 0; i < parts.length; i++) out[i] = <u8>I32.parseInt(parts[i], 16);
  return out;
}

/** Text frame with a 16-bit length: 126 bytes of 'x'. */
function long126(): string {
  let s = "82 7e 00 7e";
  for (let i = 0; i < 126; i++) s += " 78";
  return s;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0); out.set(b, a.length);
  return out;
}

function drain(): DrainEntry {
  const e = new DrainEntry();
  e.generation = 1; e.startedAtMs = 100; e.windowMs = 0; e.graceMs = 50; e.deadlineMs = 1000;
  return e;
}

/** Feeds `stream` in three chunks [0,k) [k,m) [m,len) at the given times; returns what the client
 *  receives after the filter's edits. */
function run(stream: Uint8Array, k: i32, m: i32, t1: u64, t2: u64, t3: u64, signal: Uint8Array, signalIsClose: bool,
             allowRsv1: bool, counts: StaticArray<i32>): Uint8Array {
  const w = new FrameWatcher(allowRsv1);
  const d = drain();
  const close = hex(CLOSE_1001);
  let out = new Uint8Array(0);
  const cuts: i32[] = [0, k, m, stream.length];
  const times: u64[] = [t1, t2, t3];
  for (let c = 0; c < 3; c++) {
    const chunk = stream.subarray(cuts[c], cuts[c + 1]);
    const inj = w.onChunk(chunk.dataStart, <usize>chunk.length, false, times[c], 7, d, signal.buffer, signalIsClose, close.buffer);
    if (inj.signalled) counts[0]++;
    if (inj.graceClosed) counts[1]++;
    if (inj.malformed) counts[2]++;
    let edited = chunk;
    if (inj.edit == Edit.Append) edited = concat(chunk, Uint8Array.wrap(inj.bytes!));
    else if (inj.edit == Edit.Prepend) edited = concat(Uint8Array.wrap(inj.bytes!), chunk);
    else if (inj.edit == Edit.ReplaceAll) edited = Uint8Array.wrap(inj.bytes!);
    out = concat(out, edited);
  }
  return out;
}

/** Index of the first byte where a and b differ (min length when one is a prefix). */
function firstDiff(a: Uint8Array, b: Uint8Array): i32 {
  const n = min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] != b[i]) return i;
  return n;
}

function equalAt(a: Uint8Array, at: i32, b: Uint8Array, from: i32, len: i32): bool {
  if (at + len > a.length || from + len > b.length) return false;
  for (let i = 0; i < len; i++) if (a[at + i] != b[from + i]) return false;
  return true;
}

function boundaryIn(list: i32[], b: i32): bool {
  for (let i = 0; i < list.length; i++) if (list[i] == b) return true;
  return false;
}

describe("injection at frame boundaries", () => {
  it("adds goodbye exactly once, between whole messages, for every split of the stream into three chunks", () => {
    // hello | frag-start | ping | frag-end | 126-byte binary | deflated
    const stream = hex(HELLO + " " + FRAG_START + " " + PING + " " + FRAG_END + " " + long126() + " " + DEFLATED);
    // Offsets where a data frame may go: not inside a frame, not inside the fragmented message.
    const dataOk: i32[] = [0, 7, 7 + 4 + 2 + 4, 7 + 4 + 2 + 4 + 130, stream.length];
    const sig = hex(GOODBYE_FRAME);
    let cases = 0;
    let firstBad = "";
    for (let k = 1; k < stream.length && firstBad.length == 0; k++) {
      for (let m = k; m <= stream.length; m++) {
        const counts = new StaticArray<i32>(3);
        // The signal falls due at the second chunk (t = 100).
        const out = run(stream, k, m, 0, 100, 100, sig, false, true, counts);
        const at = firstDiff(out, stream);
        // What the client receives is a valid RFC 6455 stream (the reader with RSV1 allowed).
        const check = new FrameReader(true);
        const why =
          out.length != stream.length + sig.length ? "length " + out.length.toString() :
          !boundaryIn(dataOk, at) ? "injected at " + at.toString() :
          at < k ? "injected before it was due" :
          !equalAt(out, at, sig, 0, sig.length) ? "signal bytes differ" :
          !equalAt(out, at + sig.length, stream, at, stream.length - at) ? "bytes after the signal differ" :
          counts[0] != 1 ? "signalled " + counts[0].toString() + " times" :
          check.scan(out.dataStart, <usize>out.length) != 7 ? "output is not 7 valid frames" : "";
        if (why.length > 0) { firstBad = "split " + k.toString() + "/" + m.toString() + ": " + why; break; }
        cases++;
      }
    }
    expect(firstBad).toBe("");
    expect(cases > 10000).toBe(true);
  });

  it("after the grace, puts Close 1001 at the next frame boundary, also between fragments, and drops everything after it", () => {
    const stream = hex(HELLO + " " + FRAG_START + " " + PING + " " + FRAG_END + " " + long126());
    const closeOk: i32[] = [0, 7, 11, 13, 17, stream.length];
    const close = hex(CLOSE_1001);
    let firstBad = "";
    for (let k = 1; k < stream.length && firstBad.length == 0; k++) {
      for (let m = k; m <= stream.length; m++) {
        const counts = new StaticArray<i32>(3);
        // The close dialect: the signal itself is Close 1001; due at the second chunk.
        const out = run(stream, k, m, 0, 100, 100, close, true, false, counts);
        const at = firstDiff(out, stream);
        const why =
          !boundaryIn(closeOk, at) ? "close at " + at.toString() :
          out.length != at + 4 ? "bytes after our Close" :
          !equalAt(out, at, close, 0, 4) ? "close bytes differ" :
          counts[0] != 1 ? "signalled " + counts[0].toString() + " times" : "";
        if (why.length > 0) { firstBad = "split " + k.toString() + "/" + m.toString() + ": " + why; break; }
      }
    }
    expect(firstBad).toBe("");
  });

  it("waits for FIN before adding a data frame to a fragmented message", () => {
    const w = new FrameWatcher(false);
    const d = drain();
    const sig = hex(GOODBYE_FRAME), close = hex(CLOSE_1001);
    const a = hex(FRAG_START), b = hex(FRAG_END);
    const first = w.onChunk(a.dataStart, 4, false, 100, 7, d, sig.buffer, false, close.buffer);
    // Due, but this chunk leaves the message open; the start of the chunk was a boundary.
    expect(first.edit).toBe(Edit.Prepend);
    const w2 = new FrameWatcher(false);
    expect(w2.onChunk(a.dataStart, 4, false, 0, 7, d, sig.buffer, false, close.buffer).edit).toBe(Edit.None);
    expect(w2.onChunk(b.dataStart, 2, false, 100, 7, d, sig.buffer, false, close.buffer).edit).toBe(Edit.None);
    const third = w2.onChunk(b.dataStart + 2, 2, false, 100, 7, d, sig.buffer, false, close.buffer);
    expect(third.edit).toBe(Edit.Append);
    expect(w2.phase).toBe(Phase.Signalled);
  });

  it("adds nothing once the server has sent Close", () => {
    const w = new FrameWatcher(false);
    const s = hex(HELLO + " " + SERVER_CLOSE);
    const sig = hex(GOODBYE_FRAME), close = hex(CLOSE_1001);
    expect(w.onChunk(s.dataStart, <usize>s.length, false, 500, 7, drain(), sig.buffer, false, close.buffer).edit).toBe(Edit.None);
    expect(w.phase).toBe(Phase.ServerClosed);
  });

  it("passes a malformed backend frame through, counts it once and never injects on that stream", () => {
    const w = new FrameWatcher(false);
    const sig = hex(GOODBYE_FRAME), close = hex(CLOSE_1001);
    const masked = hex("81 85 01 02 03 04 69 67 6f 68 6e"); // a masked frame from a server (RFC 6455 5.1)
    const inj = w.onChunk(masked.dataStart, <usize>masked.length, false, 500, 7, drain(), sig.buffer, false, close.buffer);
    expect(inj.malformed).toBe(true);
    expect(inj.edit).toBe(Edit.None);
    const more = hex(HELLO);
    const later = w.onChunk(more.dataStart, <usize>more.length, false, 900, 7, drain(), sig.buffer, false, close.buffer);
    expect(later.edit).toBe(Edit.None);
    expect(later.malformed).toBe(false);
    expect(w.phase).toBe(Phase.Broken);
  });

  it("refuses RSV1 without permessage-deflate but accepts it when negotiated, and the signal has RSV clear", () => {
    const s = hex(DEFLATED);
    const sig = hex(GOODBYE_FRAME), close = hex(CLOSE_1001);
    const plain = new FrameWatcher(false);
    expect(plain.onChunk(s.dataStart, <usize>s.length, false, 100, 7, drain(), sig.buffer, false, close.buffer).malformed).toBe(true);
    const deflate = new FrameWatcher(true);
    const inj = deflate.onChunk(s.dataStart, <usize>s.length, false, 100, 7, drain(), sig.buffer, false, close.buffer);
    expect(inj.edit).toBe(Edit.Append);
    expect(Uint8Array.wrap(inj.bytes!)[0]).toBe(0x81);
  });

  it("sends Close 1001 at the next boundary once the grace after the signal is over, and nothing after it", () => {
    const w = new FrameWatcher(false);
    const d = drain();
    const sig = hex(GOODBYE_FRAME), close = hex(CLOSE_1001);
    const s = hex(HELLO);
    expect(w.onChunk(s.dataStart, 7, false, 120, 7, d, sig.buffer, false, close.buffer).signalled).toBe(true);
    expect(w.onChunk(s.dataStart, 7, false, 169, 7, d, sig.buffer, false, close.buffer).edit).toBe(Edit.None);
    const g = w.onChunk(s.dataStart, 7, false, 170, 7, d, sig.buffer, false, close.buffer);
    expect(g.graceClosed).toBe(true);
    expect(g.edit).toBe(Edit.Append);
    const after = w.onChunk(s.dataStart, 7, false, 171, 7, d, sig.buffer, false, close.buffer);
    expect(after.edit).toBe(Edit.ReplaceAll);
    expect(after.bytes!.byteLength).toBe(0);
  });

  it("sends the signal first even when the stream was quiet past its moment and the grace", () => {
    const w = new FrameWatcher(false);
    const sig = hex(GOODBYE_FRAME), close = hex(CLOSE_1001);
    const s = hex(HELLO);
    const inj = w.onChunk(s.dataStart, 7, false, 500, 7, drain(), sig.buffer, false, close.buffer);
    expect(inj.signalled).toBe(true);
    expect(Uint8Array.wrap(inj.bytes!)[0]).toBe(0x81);
    expect(w.phase).toBe(Phase.Signalled);
  });

  it("sends Close between fragments when a message stays open for the whole grace", () => {
    const w = new FrameWatcher(false);
    const d = drain();
    const sig = hex(GOODBYE_FRAME), close = hex(CLOSE_1001);
    const a = hex(FRAG_START), p = hex(PING);
    expect(w.onChunk(a.dataStart, 4, false, 0, 7, d, sig.buffer, false, close.buffer).edit).toBe(Edit.None);
    expect(w.onChunk(p.dataStart, 2, false, 149, 7, d, sig.buffer, false, close.buffer).edit).toBe(Edit.None);
    const inj = w.onChunk(p.dataStart, 2, false, 150, 7, d, sig.buffer, false, close.buffer);
    expect(inj.edit).toBe(Edit.Append);
    expect(inj.signalled).toBe(true);
    expect(Uint8Array.wrap(inj.bytes!)[0]).toBe(0x88);
    expect(w.phase).toBe(Phase.Closed);
  });

  it("needs no bytes for a chunk that is all payload of the current frame, and needs them when a header may start", () => {
    const w = new FrameWatcher(false);
    const head = hex("82 7e 01 00");   // Binary, 256-byte payload follows
    const sig = hex(GOODBYE_FRAME), close = hex(CLOSE_1001);
    expect(w.needsBytes(4)).toBe(true);
    w.onChunk(head.dataStart, 4, false, 0, 7, null, sig.buffer, false, close.buffer);
    expect(w.needsBytes(200)).toBe(false);
    w.onChunk(0, 200, false, 0, 7, null, sig.buffer, false, close.buffer);
    expect(w.needsBytes(56)).toBe(false);
    expect(w.needsBytes(57)).toBe(true);
    // The payload ends exactly at the chunk end: a boundary, where the signal may be appended.
    const inj = w.onChunk(0, 56, false, 100, 7, drain(), sig.buffer, false, close.buffer);
    expect(inj.edit).toBe(Edit.Append);
  });

  it("does nothing when no drain applies", () => {
    const w = new FrameWatcher(false);
    const s = hex(HELLO);
    const sig = hex(GOODBYE_FRAME), close = hex(CLOSE_1001);
    expect(w.onChunk(s.dataStart, 7, false, 100000, 7, null, sig.buffer, false, close.buffer).edit).toBe(Edit.None);
    expect(w.phase).toBe(Phase.Watching);
  });
});
