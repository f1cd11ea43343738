import { FrameReader, Mask, WsError, wsErrorName, wsErrorCloseCode } from "../../../sdk/websocket";
import { hex, ptrOf } from "./bytes";

// Feeds `input` whole, split in two at every point, and in 1-byte chunks: each time the reader
// must stop with `code` at stream offset `at`, having completed `framesBefore` frames.
function expectError(input: string, code: WsError, at: u64, framesBefore: u64,
                     allowRsv1: bool = false, mask: i32 = Mask.Any): void {
  const buf = hex(input);
  const p = ptrOf(buf);
  const n = <usize>buf.byteLength;
  for (let split: usize = 0; split <= n; split++) {
    const r = new FrameReader(allowRsv1, mask);
    const a = r.scan(p, split);
    const b = r.scan(p + split, n - split);
    expect(a == -1 || b == -1).toBe(true, "split at " + split.toString() + ": no error reported");
    expect(b).toBe(-1, "split at " + split.toString());
    expect(r.error).toBe(code, "split at " + split.toString() + ": " + wsErrorName(r.error));
    expect(r.errorOffset).toBe(at, "split at " + split.toString());
    expect(r.frames).toBe(framesBefore, "split at " + split.toString());
  }
  const r = new FrameReader(allowRsv1, mask);
  let last = 0;
  for (let i: usize = 0; i < n; i++) last = r.scan(p + i, 1);
  expect(last).toBe(-1, "1-byte chunks");
  expect(r.error).toBe(code, "1-byte chunks");
  expect(r.errorOffset).toBe(at, "1-byte chunks");
  expect(r.frames).toBe(framesBefore, "1-byte chunks");
}

describe("FrameReader on malformed frames (code and offset at every split)", () => {
  it("rejects reserved data opcodes 0x3-0x7 at the frame's first byte", () => {
    expectError("81 00  83 00", WsError.ReservedOpcode, 2, 1);
    expectError("81 00  87 00", WsError.ReservedOpcode, 2, 1);
    expectError("03 00", WsError.ReservedOpcode, 0, 0);
  });

  it("rejects reserved control opcodes 0xB-0xF at the frame's first byte", () => {
    expectError("89 00  8b 00", WsError.ReservedOpcode, 2, 1);
    expectError("8f 00", WsError.ReservedOpcode, 0, 0);
    expectError("0b 00", WsError.ReservedOpcode, 0, 0);
  });

  it("rejects RSV1 when no extension was negotiated", () => {
    expectError("81 00  c1 00", WsError.RsvWithoutExtension, 2, 1);
  });

  it("rejects RSV2 and RSV3 even with permessage-deflate", () => {
    expectError("a1 00", WsError.RsvWithoutExtension, 0, 0, true);
    expectError("91 00", WsError.RsvWithoutExtension, 0, 0, true);
    expectError("c1 00  e1 00", WsError.RsvWithoutExtension, 2, 1, true);
  });

  it("checks RSV before the opcode, as ws's Receiver does", () => {
    expectError("c3 00", WsError.RsvWithoutExtension, 0, 0);
  });

  it("rejects control frames longer than 125 bytes at the length byte", () => {
    expectError("81 00  89 7e 00 7e", WsError.ControlTooLong, 3, 1);
    expectError("88 7f 00 00 00 00 00 00 00 ff", WsError.ControlTooLong, 1, 0);
    expectError("8a fe 00 7e 01 02 03 04", WsError.ControlTooLong, 1, 0);
  });

  it("rejects control frames without FIN", () => {
    expectError("81 00  09 00", WsError.ControlFragmented, 2, 1);
    expectError("08 02 03 e8", WsError.ControlFragmented, 0, 0);
  });

  it("rejects a 64-bit length with its most significant bit set at the first length byte", () => {
    expectError("81 00  82 7f 80 00 00 00 00 00 00 00", WsError.LengthTooLong, 4, 1);
    expectError("82 ff ff ff ff ff ff ff ff ff", WsError.LengthTooLong, 2, 0);
  });

  it("rejects non-minimal 16-bit and 64-bit lengths at the first length byte", () => {
    expectError("81 00  82 7e 00 7d", WsError.NonMinimalLength, 4, 1);
    expectError("82 7e 00 00", WsError.NonMinimalLength, 2, 0);
    expectError("81 00  82 7f 00 00 00 00 00 00 ff ff", WsError.NonMinimalLength, 4, 1);
    expectError("82 ff 00 00 00 00 00 00 00 7d 01 02 03 04", WsError.NonMinimalLength, 2, 0);
  });

  it("rejects a continuation frame when no message is open", () => {
    expectError("81 00  80 00", WsError.UnexpectedContinuation, 2, 1);
    expectError("00 00", WsError.UnexpectedContinuation, 0, 0);
    expectError("01 00  80 00  80 00", WsError.UnexpectedContinuation, 4, 2);
  });

  it("rejects a new Text or Binary frame inside a fragmented message", () => {
    expectError("01 00  81 00", WsError.ExpectedContinuation, 2, 1);
    expectError("01 00  89 00  02 00", WsError.ExpectedContinuation, 4, 2);
  });

  it("rejects an unmasked frame from a client (Mask.Masked) at the mask byte", () => {
    expectError("81 80 01 02 03 04  81 00", WsError.MaskPolicy, 7, 1, false, Mask.Masked);
  });

  it("rejects a masked frame from a server (Mask.Unmasked) at the mask byte", () => {
    expectError("81 00  89 80 01 02 03 04", WsError.MaskPolicy, 3, 1, false, Mask.Unmasked);
  });

  it("checks the control frame length before the mask policy, as ws's Receiver does", () => {
    expectError("89 7e", WsError.ControlTooLong, 1, 0, false, Mask.Masked);
  });

  it("rejects a Close frame with a 1-byte payload at the length byte", () => {
    expectError("81 00  88 01 03", WsError.CloseLengthOne, 3, 1);
  });

  it("rejects RSV1 on control and continuation frames even with permessage-deflate", () => {
    expectError("c9 00", WsError.RsvWithoutExtension, 0, 0, true);
    expectError("41 01 00  c0 01 00", WsError.RsvWithoutExtension, 3, 1, true);
  });

  it("reports a control frame without FIN before its RSV1, as ws's Receiver does", () => {
    expectError("49 00", WsError.ControlFragmented, 0, 0, true);
  });
});

describe("FrameReader after an error", () => {
  it("stays in error: scan returns -1 and counts nothing more", () => {
    const r = new FrameReader();
    const bad = hex("81 00  83 00  81 00");
    expect(r.scan(ptrOf(bad), 6)).toBe(-1);
    expect(r.frames).toBe(1);
    const good = hex("81 00  81 00");
    expect(r.scan(ptrOf(good), 4)).toBe(-1);
    expect(r.frames).toBe(1);
    expect(r.messages).toBe(1);
    expect(r.errorOffset).toBe(2);
    expect(r.offset).toBe(2);
    expect(r.atFrameBoundary()).toBe(false);
    expect(r.canInject()).toBe(false);
  });

  it("names each error and maps it to close code 1002", () => {
    expect(wsErrorName(WsError.ReservedOpcode)).toBe("reserved_opcode");
    expect(wsErrorName(WsError.MaskPolicy)).toBe("mask_policy");
    expect(wsErrorName(WsError.NonMinimalLength)).toBe("non_minimal_length");
    expect(wsErrorCloseCode(WsError.ControlTooLong)).toBe(1002);
    expect(wsErrorCloseCode(WsError.None)).toBe(1000);
  });

  it("reports errorOffset 0 and WsError.None while the stream is well formed", () => {
    const r = new FrameReader();
    const ok = hex("81 00");
    r.scan(ptrOf(ok), 2);
    expect(r.error).toBe(WsError.None);
    expect(r.errorOffset).toBe(0);
  });
});
