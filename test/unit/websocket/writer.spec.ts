import {
  FrameReader, Mask, Opcode, WsError, textFrame, textFrameSize, writeTextFrame, closeFrame,
  closeFrameSize, writeCloseFrame, frameHeaderSize, writeFrameHeader, MAX_CLOSE_REASON_BYTES,
} from "../../../sdk/websocket";
import { toHex, ptrOf } from "./bytes";

function headerHex(buf: ArrayBuffer, n: i32): string {
  return toHex(buf.slice(0, n));
}

describe("textFrame", () => {
  it("writes an unmasked FIN Text frame with a 7-bit length", () => {
    expect(toHex(textFrame("Hello"))).toBe("81 05 48 65 6c 6c 6f");
    expect(toHex(textFrame(""))).toBe("81 00");
  });

  it("encodes the text as UTF-8, counting bytes not characters", () => {
    expect(toHex(textFrame("é"))).toBe("81 02 c3 a9");
    expect(toHex(textFrame("😀"))).toBe("81 04 f0 9f 98 80");
  });

  it("switches to the 16-bit length at 126 bytes and to the 64-bit length at 65536", () => {
    expect(headerHex(textFrame("a".repeat(125)), 2)).toBe("81 7d");
    expect(headerHex(textFrame("a".repeat(126)), 4)).toBe("81 7e 00 7e");
    expect(headerHex(textFrame("a".repeat(65535)), 4)).toBe("81 7e ff ff");
    const big = textFrame("a".repeat(65536));
    expect(headerHex(big, 10)).toBe("81 7f 00 00 00 00 00 01 00 00");
    expect(big.byteLength).toBe(65546);
  });

  it("writes the same bytes in place with writeTextFrame, sized by textFrameSize", () => {
    const text = '{"type":"goodbye"}';
    const size = textFrameSize(text);
    expect(size).toBe(20);
    const buf = new ArrayBuffer(<i32>size);
    expect(writeTextFrame(ptrOf(buf), text)).toBe(size);
    expect(toHex(buf)).toBe(toHex(textFrame(text)));
  });
});

describe("closeFrame", () => {
  it("writes the status code big-endian followed by the reason", () => {
    expect(toHex(closeFrame(1000, ""))).toBe("88 02 03 e8");
    expect(toHex(closeFrame(1001, "going away"))).toBe("88 0c 03 e9 67 6f 69 6e 67 20 61 77 61 79");
  });

  it("cuts a reason over 123 UTF-8 bytes so the payload stays within 125", () => {
    const f = closeFrame(1001, "a".repeat(200));
    expect(f.byteLength).toBe(127);
    expect(headerHex(f, 4)).toBe("88 7d 03 e9");
    expect(MAX_CLOSE_REASON_BYTES).toBe(123);
  });

  it("never cuts a UTF-8 sequence or a surrogate pair in half", () => {
    // 122 + 2 bytes ("é") would be 124: the é is dropped, 122 bytes stay.
    expect(headerHex(closeFrame(1000, "a".repeat(122) + "é"), 2)).toBe("88 7c");
    // 121 + 4 bytes (U+1F600) would be 125: the emoji is dropped.
    expect(headerHex(closeFrame(1000, "a".repeat(121) + "😀"), 2)).toBe("88 7b");
    // 119 + 4 = 123 fits exactly.
    const f = closeFrame(1000, "a".repeat(119) + "😀");
    expect(headerHex(f, 2)).toBe("88 7d");
    expect(toHex(f.slice(123))).toBe("f0 9f 98 80");
  });

  it("writes the same bytes in place with writeCloseFrame, sized by closeFrameSize", () => {
    const reason = "a".repeat(130);
    const size = closeFrameSize(reason);
    expect(size).toBe(127);
    const buf = new ArrayBuffer(<i32>size);
    expect(writeCloseFrame(ptrOf(buf), 1001, reason)).toBe(size);
    expect(toHex(buf)).toBe(toHex(closeFrame(1001, reason)));
  });
});

describe("writeFrameHeader", () => {
  it("uses the minimal length form for any opcode", () => {
    expect(frameHeaderSize(0)).toBe(2);
    expect(frameHeaderSize(125)).toBe(2);
    expect(frameHeaderSize(126)).toBe(4);
    expect(frameHeaderSize(65535)).toBe(4);
    expect(frameHeaderSize(65536)).toBe(10);
    const buf = new ArrayBuffer(10);
    expect(writeFrameHeader(ptrOf(buf), <u8>Opcode.Binary, 0x100_0000_0000)).toBe(10);
    expect(toHex(buf)).toBe("82 7f 00 00 01 00 00 00 00 00");
    expect(writeFrameHeader(ptrOf(buf), <u8>Opcode.Ping, 3)).toBe(2);
    expect(headerHex(buf, 2)).toBe("89 03");
  });
});

describe("writer output read back by a server-to-client FrameReader", () => {
  it("is accepted under Mask.Unmasked as a Text message and a Close", () => {
    const r = new FrameReader(false, Mask.Unmasked);
    const t = textFrame("a".repeat(70000));
    const c = closeFrame(1001, "going away");
    expect(r.scan(ptrOf(t), <usize>t.byteLength)).toBe(1);
    expect(r.lastOpcode).toBe(Opcode.Text);
    expect(r.lastFin).toBe(true);
    expect(r.lastRsv).toBe(0);
    expect(r.scan(ptrOf(c), <usize>c.byteLength)).toBe(1);
    expect(r.lastOpcode).toBe(Opcode.Close);
    expect(r.closeSeen).toBe(true);
    expect(r.error).toBe(WsError.None);
    expect(r.messages).toBe(1);
  });
});
