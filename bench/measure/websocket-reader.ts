// Cost of FrameReader.scan() on a 1 KiB chunk, next to a no-op call of the same shape and to a
// loop that merely reads the chunk.
// Not a test (nothing is asserted; speed belongs in bench/): npx tsx bench/measure/websocket-reader.ts
import { compileHarness } from "../support/ws-harness.ts";

const ITER = 2_000_000;
const ROUNDS = 7;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const h = await (await compileHarness()).instantiate();
const chunk = h.alloc(65536);
new Uint8Array(h.memory.buffer, chunk, 65536).fill(0x5a);

// 1 KiB of small frames: 73 unmasked Binary frames of 12 payload bytes (14 bytes each) + 2 bytes.
const framesChunk = h.alloc(1024);
{
  const m = new Uint8Array(h.memory.buffer, framesChunk, 1024);
  let at = 0;
  while (at + 14 <= 1022) { m[at] = 0x82; m[at + 1] = 12; at += 14; }
  m[at] = 0x89; m[at + 1] = 1024 - at - 2; // a Ping filling the rest
}

function time(fn: () => bigint, iterations: number): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / iterations;
}

// Warm up all three so the tiers compare like with like.
h.benchNoop(chunk, 1024, ITER); h.benchScan(chunk, 1024, ITER); h.benchFrames(framesChunk, 1024, 10_000);

const noop: number[] = [], scan: number[] = [], big: number[] = [], frames: number[] = [], touch: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  noop.push(time(() => h.benchNoop(chunk, 1024, ITER), ITER));
  scan.push(time(() => h.benchScan(chunk, 1024, ITER), ITER));
  big.push(time(() => h.benchScan(chunk, 65536, ITER), ITER));
  touch.push(time(() => h.benchTouch(chunk, 1024, ITER / 20), ITER / 20));
  frames.push(time(() => h.benchFrames(framesChunk, 1024, ITER / 20), ITER / 20));
}
const n = median(noop), s = median(scan), b = median(big), f = median(frames), t = median(touch);
console.log(`per call, median of ${ROUNDS} rounds (${ITER} calls each; frame-dense: ${ITER / 20}):`);
console.log(`  no-op call, 1 KiB chunk:               ${n.toFixed(2)} ns`);
console.log(`  scan(), 1 KiB of payload:               ${s.toFixed(2)} ns  (${(s / n).toFixed(2)}x the no-op)`);
console.log(`  scan(), 64 KiB of payload:              ${b.toFixed(2)} ns  (payload is skipped, not read)`);
console.log(`  reading 1 KiB (u64 loads), for scale:    ${t.toFixed(1)} ns  (what copying or unmasking would cost at least)`);
console.log(`  scan(), 1 KiB holding 74 frames:        ${f.toFixed(1)} ns  (${(f / 1024).toFixed(3)} ns/byte, ${(f / 74).toFixed(1)} ns/frame)`);
