// The sdk/websocket reader and writer against the `ws` package as the reference peer: streams
// written by ws's Sender (random sizes across the 7/16/64-bit length forms, masked and unmasked,
// control frames between fragments) are split at random points (seeded PRNG) and fed to the
// reader compiled into plain WebAssembly (bench/fixtures/ws-harness); ws's Receiver reads the same
// chunks and must agree. Frames from our writer must be accepted by ws's Receiver.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { compileHarness, type Compiled, type Harness } from "../../../bench/support/ws-harness.ts";
import { prng } from "../../../bench/support/prng.ts";

// @types/ws does not declare Sender and Receiver; these are the parts this test uses.
interface FakeSocket { cork(): void; uncork(): void; write(chunk: Buffer | string, cb?: () => void): boolean }
type Done = (err?: Error) => void;
interface WsSender {
  send(data: Buffer | string, options: { binary: boolean; fin: boolean; mask: boolean; compress: boolean }, cb: Done): void;
  ping(data: Buffer, mask: boolean, cb: Done): void;
  pong(data: Buffer, mask: boolean, cb: Done): void;
  close(code: number, data: string, mask: boolean, cb: Done): void;
}
interface WsReceiver {
  write(chunk: Buffer): boolean;
  on(event: "message", fn: (data: Buffer, isBinary: boolean) => void): this;
  on(event: "ping" | "pong", fn: (data: Buffer) => void): this;
  on(event: "conclude", fn: (code: number, reason: Buffer) => void): this;
  on(event: "error", fn: (err: Error) => void): this;
}
const require = createRequire(import.meta.url);
const ws = require("ws") as {
  Sender: new (socket: FakeSocket, extensions: object, generateMask: (mask: Buffer) => void) => WsSender;
  Receiver: new (options: { isServer: boolean; extensions?: object }) => WsReceiver;
  PerMessageDeflate: new (options: { isServer: boolean }) => { accept(offers: object[]): object };
};


interface Frame { opcode: number; fin: boolean; rsv1: boolean; masked: boolean; length: number; start: number; payloadStart: number; end: number }
interface Produced { bytes: Buffer; frames: Frame[]; messages: number; pings: number; pongs: number }

const EDGE_LENGTHS = [0, 1, 125, 126, 127, 65535, 65536, 65537];

function pickLength(rand: () => number): number {
  const r = rand();
  if (r < 0.15) return EDGE_LENGTHS[Math.floor(rand() * EDGE_LENGTHS.length)];
  if (r < 0.55) return Math.floor(rand() * 126);
  if (r < 0.85) return 126 + Math.floor(rand() * (65536 - 126));
  return 65536 + Math.floor(rand() * 8000);
}

function headerSize(length: number, masked: boolean): number {
  return (length < 126 ? 2 : length < 65536 ? 4 : 10) + (masked ? 4 : 0);
}

/** The payload length of a frame of `size` bytes in total (ws writes minimal lengths). */
function payloadLengthOf(size: number, masked: boolean): number {
  const m = masked ? 4 : 0;
  if (size - 2 - m < 126) return size - 2 - m;
  if (size - 4 - m < 65536) return size - 4 - m;
  return size - 10 - m;
}

/** permessage-deflate as negotiated by a client offering it with no parameters. */
function deflate(isServer: boolean): object {
  const pmd = new ws.PerMessageDeflate({ isServer });
  pmd.accept([{}]);
  return { "permessage-deflate": pmd };
}

/** A stream of `count` messages (some fragmented, with Ping/Pong between fragments) and a final
 *  Close, written by ws's Sender; every frame's bounds come from the bytes each call wrote (each
 *  call is awaited, since compression completes asynchronously). */
async function produce(seed: number, masked: boolean, count: number, compress = false): Promise<Produced> {
  const rand = prng(seed);
  const chunks: Buffer[] = [];
  let total = 0;
  const socket: FakeSocket = {
    cork() {},
    uncork() {},
    write(chunk, cb) {
      const b = Buffer.from(chunk); // a copy: ws may reuse or mask its buffers later
      chunks.push(b);
      total += b.length;
      cb?.();
      return true;
    },
  };
  const sender = new ws.Sender(socket, compress ? deflate(!masked) : {}, (mask) => {
    for (let i = 0; i < 4; i++) mask[i] = Math.floor(rand() * 256);
  });
  const frames: Frame[] = [];
  let pings = 0;
  let pongs = 0;
  const record = async (opcode: number, fin: boolean, rsv1: boolean, sent: number | null, write: (cb: (err?: Error) => void) => void) => {
    const start = total;
    await new Promise<void>((resolve, reject) => write((err) => (err ? reject(err) : resolve())));
    const length = payloadLengthOf(total - start, masked);
    // The oracle checks itself: what ws wrote is the header RFC 6455 5.2 gives the length.
    if (sent !== null) assert.equal(length, sent, `seed ${seed}: ws wrote ${total - start} bytes for ${sent} payload bytes`);
    frames.push({ opcode, fin, rsv1, masked, length, start, payloadStart: total - length, end: total });
  };
  const control = async () => {
    const data = Buffer.alloc(Math.floor(rand() * 126), 0x70);
    if (rand() < 0.5) {
      pings++;
      await record(0x9, true, false, data.length, (cb) => sender.ping(data, masked, cb));
    } else {
      pongs++;
      await record(0xa, true, false, data.length, (cb) => sender.pong(data, masked, cb));
    }
  };
  for (let m = 0; m < count; m++) {
    const binary = rand() < 0.5;
    const fragments = rand() < 0.4 ? 2 + Math.floor(rand() * 3) : 1;
    for (let f = 0; f < fragments; f++) {
      const length = pickLength(rand);
      const data = binary ? Buffer.alloc(length, m & 0xff) : "x".repeat(length);
      const fin = f === fragments - 1;
      await record(f === 0 ? (binary ? 0x2 : 0x1) : 0x0, fin, compress && f === 0, compress ? null : length, (cb) =>
        sender.send(data, { binary, fin, mask: masked, compress }, cb));
      if (!fin && rand() < 0.6) await control();
    }
    if (rand() < 0.2) await control();
  }
  await record(0x8, true, false, 2 + 3, (cb) => sender.close(1000, "bye", masked, cb));
  return { bytes: Buffer.concat(chunks), frames, messages: count, pings, pongs };
}

/** Random chunk sizes: many tiny (splitting headers), many mid-sized, some huge. */
function splitPoints(seed: number, total: number): number[] {
  const rand = prng(seed ^ 0x5eed);
  const sizes: number[] = [];
  let at = 0;
  while (at < total) {
    const r = rand();
    const size = r < 0.35 ? 1 + Math.floor(rand() * 4) : r < 0.85 ? 1 + Math.floor(rand() * 600) : 1 + Math.floor(rand() * 100000);
    const n = Math.min(size, total - at);
    sizes.push(n);
    at += n;
  }
  return sizes;
}

let compiled: Compiled;
before(async () => {
  compiled = await compileHarness();
});

describe("ws-harness module", () => {
  test("imports nothing but env.abort, so it runs in plain WebAssembly", () => {
    assert.deepEqual(compiled.imports.map((i) => `${i.module}.${i.name}`), ["env.abort"]);
  });
});

/** Feeds a produced stream to the reader (and ws's Receiver) in seeded random chunks and checks
 *  every frame, the state between chunks, and the totals. */
async function verify(produced: Produced, seed: number, masked: boolean, compress: boolean) {
  const { bytes, frames } = produced;
  const h: Harness = await compiled.instantiate();
  h.reset(compress ? 1 : 0, masked ? 1 : 0);
  const base = h.alloc(bytes.length);
  new Uint8Array(h.memory.buffer, base, bytes.length).set(bytes);

  // Pass 1: scanFrame in a loop within each random chunk sees every frame at its end offset.
  const receiver = new ws.Receiver({ isServer: masked, extensions: compress ? deflate(masked) : {} });
  const seen = { messages: 0, pings: 0, pongs: 0, close: -1 };
  const concluded = new Promise<void>((resolve, reject) => {
    receiver.on("conclude", (code) => { seen.close = code; resolve(); });
    receiver.on("error", (err) => reject(new Error(`ws Receiver rejected the stream: ${err.message}`)));
  });
  receiver.on("message", () => seen.messages++);
  receiver.on("ping", () => seen.pings++);
  receiver.on("pong", () => seen.pongs++);
  const probe0 = h.alloc(16);
  const probe1 = h.alloc(16);
  let at = 0;
  let k = 0;
  for (const size of splitPoints(seed, bytes.length)) {
    receiver.write(bytes.subarray(at, at + size));
    let used = 0;
    while (used < size) {
      const c = h.scanFrame(base + at + used, size - used);
      assert.ok(c > 0, `seed ${seed}: scanFrame returned ${c} at ${at + used} (error ${h.error()} at ${h.errorOffset()})`);
      used += c;
      if (Number(h.frames()) > k) {
        const f = frames[k];
        const where = `seed ${seed}, frame ${k} (${f.start}..${f.end})`;
        assert.equal(Number(h.offset()), f.end, `${where}: completed at the wrong offset`);
        assert.equal(h.lastOpcode(), f.opcode, `${where}: opcode`);
        assert.equal(h.lastFin() !== 0, f.fin, `${where}: FIN`);
        assert.equal(h.lastMasked() !== 0, f.masked, `${where}: MASK`);
        assert.equal(h.lastRsv(), f.rsv1 ? 4 : 0, `${where}: RSV`);
        k++;
      }
    }
    at += size;
    // Between chunks: what is left of the frame in progress is its length minus what passed.
    const f = frames[k];
    if (f) {
      const where = `seed ${seed}, after chunk ending at ${at}, frame ${k}`;
      assert.equal(Number(h.pendingPayload()), at >= f.payloadStart ? f.end - at : 0, `${where}: pending payload`);
      assert.equal(h.atFrameBoundary() !== 0, at === f.start, `${where}: boundary`);
    }
  }
  const probe2 = h.alloc(16);
  assert.equal(probe2 - probe1, probe1 - probe0, "scanFrame allocated on the harness heap");
  assert.equal(k, frames.length, `seed ${seed}: frames found`);
  assert.equal(Number(h.messages()), produced.messages);
  assert.equal(h.closeSeen(), 1);
  assert.equal(h.error(), 0);
  await concluded;
  assert.deepEqual(seen, { messages: produced.messages, pings: produced.pings, pongs: produced.pongs, close: 1000 },
    "ws's Receiver read the same chunks");

  // Pass 2: plain scan() over other random splits returns the same totals.
  h.reset(compress ? 1 : 0, masked ? 1 : 0);
  let sum = 0;
  at = 0;
  for (const size of splitPoints(seed + 1000, bytes.length)) {
    const n = h.scan(base + at, size);
    assert.ok(n >= 0, `seed ${seed}: scan failed at ${at} (error ${h.error()} at ${h.errorOffset()})`);
    sum += n;
    at += size;
  }
  assert.equal(sum, frames.length);
  assert.equal(Number(h.frames()), frames.length);
  assert.equal(Number(h.messages()), produced.messages);
  assert.equal(Number(h.offset()), bytes.length);
  assert.equal(h.lastOpcode(), 0x8);
  assert.equal(h.canInject(), 0, "no injection after Close");
}

const SEEDS = [1, 2, 3, 4, 5, 6];
const DIRECTIONS = [
  { masked: true, name: "masked (client to server)" },
  { masked: false, name: "unmasked (server to client)" },
];

describe("FrameReader agrees with ws's Sender and Receiver", () => {
  for (const { masked, name } of DIRECTIONS) {
    for (const seed of SEEDS) {
      test(`finds every frame of a ${name} ws stream split at random points, seed ${seed}`, async () => {
        await verify(await produce(seed, masked, 40), seed, masked, false);
      });
    }
    for (const seed of [101, 102]) {
      test(`finds every frame of a ${name} permessage-deflate ws stream, RSV1 on first fragments only, seed ${seed}`, async () => {
        await verify(await produce(seed, masked, 25, true), seed, masked, true);
      });
    }
  }

  test("rejects ws's masked client frames under the server-to-client mask policy, at byte 1", async () => {
    const { bytes } = await produce(7, true, 3);
    const h = await compiled.instantiate();
    h.reset(0, 0);
    const base = h.alloc(bytes.length);
    new Uint8Array(h.memory.buffer, base, bytes.length).set(bytes);
    assert.equal(h.scan(base, bytes.length), -1);
    assert.equal(h.error(), 8 /* WsError.MaskPolicy */);
    assert.equal(h.errorOffset(), 1n);
  });

  test("rejects ws's compressed frames when permessage-deflate was not negotiated, at byte 0", async () => {
    const { bytes } = await produce(8, false, 3, true);
    const h = await compiled.instantiate();
    h.reset(0, 0);
    const base = h.alloc(bytes.length);
    new Uint8Array(h.memory.buffer, base, bytes.length).set(bytes);
    assert.equal(h.scan(base, bytes.length), -1);
    assert.equal(h.error(), 2 /* WsError.RsvWithoutExtension */);
    assert.equal(h.errorOffset(), 0n);
  });
});

describe("writer output is accepted by ws's Receiver (client side)", () => {
  async function roundTrip(write: (h: Harness, src: number, len: number) => number, input: string) {
    const h = await compiled.instantiate();
    const utf8 = Buffer.from(input, "utf8");
    const src = h.alloc(Math.max(utf8.length, 1));
    new Uint8Array(h.memory.buffer, src, utf8.length).set(utf8);
    const at = write(h, src, utf8.length);
    return Buffer.from(new Uint8Array(h.memory.buffer, at, h.writtenSize()));
  }
  function receive(frame: Buffer) {
    const receiver = new ws.Receiver({ isServer: false });
    const got: { text?: string; binary?: boolean; code?: number; reason?: string } = {};
    receiver.on("message", (data, isBinary) => { got.text = data.toString("utf8"); got.binary = isBinary; });
    receiver.on("conclude", (code, reason) => { got.code = code; got.reason = reason.toString("utf8"); });
    receiver.on("error", (err) => assert.fail(`ws Receiver rejected our frame ${frame.subarray(0, 12).toString("hex")}: ${err.message}`));
    receiver.write(frame);
    return got;
  }

  for (const text of ["", "Hello", '{"type":"goodbye"}', "é😀 ünïcödé", "x".repeat(125), "x".repeat(126), "y".repeat(65535), "z".repeat(65536), "w".repeat(70001)]) {
    test(`ws reads textFrame of ${text.length} UTF-16 units (${Buffer.byteLength(text)} bytes) as the same text`, async () => {
      const frame = await roundTrip((h, s, l) => h.textFrameOf(s, l), text);
      assert.deepEqual(receive(frame), { text, binary: false });
    });
  }

  test("ws reads closeFrame(1001, 'going away') as code 1001 with its reason", async () => {
    const frame = await roundTrip((h, s, l) => h.closeFrameOf(1001, s, l), "going away");
    assert.equal(frame.toString("hex"), "880c03e9676f696e672061776179");
    assert.deepEqual(receive(frame), { code: 1001, reason: "going away" });
  });

  test("ws accepts a close reason cut to 123 bytes on a UTF-8 boundary", async () => {
    const frame = await roundTrip((h, s, l) => h.closeFrameOf(1000, s, l), "é".repeat(100));
    assert.equal(frame.length, 4 + 122);
    assert.deepEqual(receive(frame), { code: 1000, reason: "é".repeat(61) });
  });
});
