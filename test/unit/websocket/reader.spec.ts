import { FrameReader, Mask, Opcode, WsError } from "../../../sdk/websocket";
import { hex, filler, concat, ptrOf } from "./bytes";

function scanAll(r: FrameReader, buf: ArrayBuffer): i32 {
  return r.scan(ptrOf(buf), <usize>buf.byteLength);
}

describe("FrameReader on whole frames (RFC 6455 5.7 examples)", () => {
  it("finds a single unmasked Text frame 'Hello'", () => {
    const r = new FrameReader();
    expect(scanAll(r, hex("81 05 48 65 6c 6c 6f"))).toBe(1);
    expect(r.frames).toBe(1);
    expect(r.messages).toBe(1);
    expect(r.lastOpcode).toBe(Opcode.Text);
    expect(r.lastFin).toBe(true);
    expect(r.lastMasked).toBe(false);
    expect(r.lastRsv).toBe(0);
    expect(r.atFrameBoundary()).toBe(true);
    expect(r.canInject()).toBe(true);
    expect(r.offset).toBe(7);
  });

  it("finds a single masked Text frame 'Hello'", () => {
    const r = new FrameReader(false, Mask.Masked);
    expect(scanAll(r, hex("81 85 37 fa 21 3d 7f 9f 4d 51 58"))).toBe(1);
    expect(r.lastOpcode).toBe(Opcode.Text);
    expect(r.lastMasked).toBe(true);
    expect(r.messages).toBe(1);
  });

  it("counts a fragmented Text message once, when its FIN continuation completes", () => {
    const r = new FrameReader();
    expect(scanAll(r, hex("01 03 48 65 6c"))).toBe(1);
    expect(r.messages).toBe(0);
    expect(r.inFragmentedMessage()).toBe(true);
    expect(r.canInject()).toBe(false);
    expect(r.atFrameBoundary()).toBe(true);
    expect(scanAll(r, hex("80 02 6c 6f"))).toBe(1);
    expect(r.messages).toBe(1);
    expect(r.frames).toBe(2);
    expect(r.lastOpcode).toBe(Opcode.Continuation);
    expect(r.inFragmentedMessage()).toBe(false);
    expect(r.canInject()).toBe(true);
  });

  it("keeps a fragmented message open across an interleaved Ping", () => {
    const r = new FrameReader();
    expect(scanAll(r, hex("01 03 48 65 6c  89 05 48 65 6c 6c 6f"))).toBe(2);
    expect(r.lastOpcode).toBe(Opcode.Ping);
    expect(r.inFragmentedMessage()).toBe(true);
    expect(r.messages).toBe(0);
    expect(scanAll(r, hex("80 02 6c 6f"))).toBe(1);
    expect(r.messages).toBe(1);
  });

  it("finds unmasked Ping and masked Pong control frames without counting messages", () => {
    const r = new FrameReader();
    expect(scanAll(r, hex("89 05 48 65 6c 6c 6f  8a 85 37 fa 21 3d 7f 9f 4d 51 58"))).toBe(2);
    expect(r.lastOpcode).toBe(Opcode.Pong);
    expect(r.lastMasked).toBe(true);
    expect(r.messages).toBe(0);
  });

  it("skips a 256-byte Binary payload with a 16-bit length", () => {
    const r = new FrameReader();
    expect(scanAll(r, concat([hex("82 7e 01 00"), filler(256)]))).toBe(1);
    expect(r.lastOpcode).toBe(Opcode.Binary);
    expect(r.offset).toBe(260);
  });

  it("skips a 65536-byte Binary payload with a 64-bit length", () => {
    const r = new FrameReader();
    expect(scanAll(r, concat([hex("82 7f 00 00 00 00 00 01 00 00"), filler(65536)]))).toBe(1);
    expect(r.offset).toBe(65546);
    expect(r.atFrameBoundary()).toBe(true);
  });

  it("skips a masked 65536-byte payload after the 14-byte header, fed a byte at a time", () => {
    const r = new FrameReader(false, Mask.Masked);
    const header = hex("82 ff 00 00 00 00 00 01 00 00 01 02 03 04");
    for (let i = 0; i < 13; i++) expect(r.scan(ptrOf(header) + <usize>i, 1)).toBe(0);
    expect(r.pendingPayload).toBe(0);
    expect(r.scan(ptrOf(header) + 13, 1)).toBe(0);
    expect(r.pendingPayload).toBe(65536);
    const body = filler(65536);
    expect(r.scan(ptrOf(body), 65535)).toBe(0);
    expect(r.scan(ptrOf(body) + 65535, 1)).toBe(1);
    expect(r.lastMasked).toBe(true);
    expect(r.offset).toBe(14 + 65536);
  });

  it("completes a frame with an empty payload as soon as its header ends", () => {
    const r = new FrameReader();
    expect(scanAll(r, hex("89 00"))).toBe(1);
    expect(scanAll(r, hex("89 80 01 02 03 04"))).toBe(1);
    expect(r.frames).toBe(2);
    expect(r.lastMasked).toBe(true);
  });

  it("accepts 125 bytes in a control frame, the RFC 6455 5.5 maximum", () => {
    const r = new FrameReader();
    expect(scanAll(r, concat([hex("8a 7d"), filler(125)]))).toBe(1);
    expect(r.error).toBe(WsError.None);
  });

  it("accepts the smallest 16-bit (126) and 64-bit (65536) lengths", () => {
    const r = new FrameReader();
    expect(scanAll(r, concat([hex("82 7e 00 7e"), filler(126)]))).toBe(1);
    expect(scanAll(r, concat([hex("82 7f 00 00 00 00 00 01 00 00"), filler(65536)]))).toBe(1);
    expect(r.error).toBe(WsError.None);
  });

  it("follows a 2^62-byte payload arithmetically, chunk after chunk", () => {
    const r = new FrameReader();
    expect(scanAll(r, hex("82 7f 40 00 00 00 00 00 00 00"))).toBe(0);
    expect(r.pendingPayload).toBe(0x4000_0000_0000_0000);
    const chunk = filler(1024);
    expect(scanAll(r, chunk)).toBe(0);
    expect(r.pendingPayload).toBe(0x4000_0000_0000_0000 - 1024);
    expect(r.atFrameBoundary()).toBe(false);
    expect(r.canInject()).toBe(false);
  });
});

describe("FrameReader state between chunks", () => {
  it("reports the payload still to come while inside a frame", () => {
    const r = new FrameReader();
    expect(scanAll(r, hex("81 05 48 65"))).toBe(0);
    expect(r.pendingPayload).toBe(3);
    expect(r.atFrameBoundary()).toBe(false);
    expect(scanAll(r, hex("6c 6c 6f"))).toBe(1);
    expect(r.pendingPayload).toBe(0);
  });

  it("is not at a boundary after a partial header", () => {
    const r = new FrameReader();
    expect(scanAll(r, hex("81"))).toBe(0);
    expect(r.atFrameBoundary()).toBe(false);
    expect(r.canInject()).toBe(false);
    expect(r.pendingPayload).toBe(0);
  });

  it("reports no last frame before the first one completes", () => {
    const r = new FrameReader();
    expect(r.lastOpcode).toBe(-1);
    expect(r.frames).toBe(0);
    expect(r.atFrameBoundary()).toBe(true);
    expect(r.canInject()).toBe(true);
  });

  it("forbids injection once a Close frame has completed, and keeps following frames after it", () => {
    const r = new FrameReader();
    expect(scanAll(r, hex("88 02 03 e8"))).toBe(1);
    expect(r.closeSeen).toBe(true);
    expect(r.atFrameBoundary()).toBe(true);
    expect(r.canInject()).toBe(false);
    expect(scanAll(r, hex("8a 00"))).toBe(1);
    expect(r.frames).toBe(2);
    expect(r.canInject()).toBe(false);
  });

  it("does not count a Close frame as seen until its payload is complete", () => {
    const r = new FrameReader();
    expect(scanAll(r, hex("88 02 03"))).toBe(0);
    expect(r.closeSeen).toBe(false);
  });

  it("accepts an empty chunk without changing state", () => {
    const r = new FrameReader();
    expect(r.scan(0, 0)).toBe(0);
    expect(r.offset).toBe(0);
    expect(r.atFrameBoundary()).toBe(true);
  });
});

describe("FrameReader options", () => {
  it("accepts RSV1 when permessage-deflate was negotiated and reports it on the frame", () => {
    const r = new FrameReader(true);
    expect(scanAll(r, hex("c1 07 f2 48 cd c9 c9 07 00"))).toBe(1);
    expect(r.lastRsv).toBe(4);
    expect(r.error).toBe(WsError.None);
  });

  it("accepts a compressed message whose RSV1 is on its first fragment only", () => {
    const r = new FrameReader(true);
    expect(scanAll(r, hex("41 03 f2 48 cd  80 06 c9 c9 07 00 00 00"))).toBe(2);
    expect(r.messages).toBe(1);
    expect(r.lastRsv).toBe(0);
  });

  it("accepts a Close frame with no payload and with a bare 2-byte code", () => {
    const r = new FrameReader();
    expect(scanAll(r, hex("88 00"))).toBe(1);
    expect(scanAll(r, hex("88 02 03 e8"))).toBe(1);
    expect(r.error).toBe(WsError.None);
  });

  it("accepts both masked and unmasked frames under Mask.Any", () => {
    const r = new FrameReader(false, Mask.Any);
    expect(scanAll(r, hex("81 00  81 80 01 02 03 04"))).toBe(2);
  });

  it("accepts unmasked frames under Mask.Unmasked (server to client)", () => {
    const r = new FrameReader(false, Mask.Unmasked);
    expect(scanAll(r, hex("81 05 48 65 6c 6c 6f"))).toBe(1);
  });
});

describe("FrameReader.scanFrame", () => {
  it("stops after each completed frame so every frame can be inspected", () => {
    const r = new FrameReader();
    const buf = hex("01 03 48 65 6c  89 05 48 65 6c 6c 6f  80 02 6c 6f  81");
    let at: usize = 0;
    const len = <usize>buf.byteLength;
    expect(r.scanFrame(ptrOf(buf), len)).toBe(5);
    expect(r.lastOpcode).toBe(Opcode.Text);
    expect(r.lastFin).toBe(false);
    at += 5;
    expect(r.scanFrame(ptrOf(buf) + at, len - at)).toBe(7);
    expect(r.lastOpcode).toBe(Opcode.Ping);
    at += 7;
    expect(r.scanFrame(ptrOf(buf) + at, len - at)).toBe(4);
    expect(r.lastOpcode).toBe(Opcode.Continuation);
    expect(r.lastFin).toBe(true);
    at += 4;
    expect(r.scanFrame(ptrOf(buf) + at, len - at)).toBe(1);
    expect(r.frames).toBe(3);
    expect(r.offset).toBe(17);
  });

  it("returns -1 on a malformed frame", () => {
    const r = new FrameReader();
    const buf = hex("83 00");
    expect(r.scanFrame(ptrOf(buf), 2)).toBe(-1);
    expect(r.error).toBe(WsError.ReservedOpcode);
  });
});

describe("FrameReader memory", () => {
  it("saturates its 48-bit frame and message counters instead of spilling into the state bits", () => {
    const r = new FrameReader(false, Mask.Unmasked);
    const at = changetype<usize>(r) + offsetof<FrameReader>("_frames");
    const max: u64 = 0xFFFF_FFFF_FFFF;
    store<u64>(at, load<u64>(at) | max);
    store<u64>(at + 8, load<u64>(at + 8) | max);
    expect(scanAll(r, hex("81 00  81 00"))).toBe(2);
    expect(r.frames).toBe(max);
    expect(r.messages).toBe(max);
    // The mask policy and flags kept in the top bits are intact.
    const masked = hex("81 80 01 02 03 04");
    expect(scanAll(r, masked)).toBe(-1);
    expect(r.error).toBe(WsError.MaskPolicy);
  });

  it("keeps its fields within 32 bytes", () => {
    expect(offsetof<FrameReader>()).toBeLessThanOrEqual(32);
  });
});

describe("FrameReader state API (a reader kept inline in a filter's stream)", () => {
  it("initState writes what the constructor makes, and loadState continues from it", () => {
    const state = new StaticArray<u64>(4);
    const at = changetype<usize>(state);
    FrameReader.initState(at, false, Mask.Masked);
    const r = new FrameReader(true);
    r.loadState(at);
    expect(scanAll(r, hex("81 05 48 65 6c 6c 6f"))).toBe(-1); // unmasked: refused by Mask.Masked
    expect(r.error).toBe(WsError.MaskPolicy);
  });

  it("saveState / loadState carry a frame split across chunks from one reader to another", () => {
    const state = new StaticArray<u64>(4);
    const at = changetype<usize>(state);
    FrameReader.initState(at, false);
    const a = new FrameReader();
    a.loadState(at);
    const frame = hex("81 05 48 65 6c 6c 6f");
    expect(a.scan(ptrOf(frame), 3)).toBe(0);
    a.saveState(at);
    const b = new FrameReader();
    b.loadState(at);
    expect(b.scan(ptrOf(frame) + 3, 4)).toBe(1);
    expect(b.frames).toBe(1);
    expect(b.offset).toBe(7);
  });

  it("saveCounters / loadCounters keep everything but the byte offset", () => {
    const state = new StaticArray<u64>(3);
    const at = changetype<usize>(state);
    const a = new FrameReader();
    const frame = hex("81 05 48 65 6c 6c 6f");
    expect(a.scan(ptrOf(frame), 3)).toBe(0);
    a.saveCounters(at);
    const b = new FrameReader();
    b.loadCounters(at);
    expect(b.scan(ptrOf(frame) + 3, 4)).toBe(1);
    expect(b.messages).toBe(1);
    expect(b.offset).toBe(4);
  });

  it("allowRsv1 switches permessage-deflate on or off for the frames still to come", () => {
    const r = new FrameReader(true);
    expect(scanAll(r, hex("c1 00"))).toBe(1);
    r.allowRsv1 = false;
    expect(scanAll(r, hex("c1 00"))).toBe(-1);
    expect(r.error).toBe(WsError.RsvWithoutExtension);
    const s = new FrameReader(false);
    s.allowRsv1 = true;
    expect(scanAll(s, hex("c1 00"))).toBe(1);
  });
});
