// Header-map serialisation: the byte layout of spec abi-versions/v0.2.1 (u32 count, count x
// (u32 key_len, u32 value_len), then each key and value followed by NUL; little-endian).
import { deserializePairs, HeaderPair, serializePairs } from "../../../sdk/headers";
import { serializePath } from "../../../sdk/properties";
import { lastResult } from "../../../sdk/status";
import { WasmResult } from "../../../sdk/enums";
import { hex, toHex } from "./hex";

function pairs2(): HeaderPair[] {
  return [new HeaderPair(":status", "200"), new HeaderPair("x-a", "")];
}

describe("serializePairs", () => {
  it("writes the count, the length table, then NUL-terminated keys and values", () => {
    expect(toHex(serializePairs(pairs2()))).toBe(
      "02 00 00 00" +
      " 07 00 00 00 03 00 00 00" +
      " 03 00 00 00 00 00 00 00" +
      " 3a 73 74 61 74 75 73 00 32 30 30 00" +
      " 78 2d 61 00 00");
  });

  it("writes an empty map as a zero count only", () => {
    expect(toHex(serializePairs([]))).toBe("00 00 00 00");
  });

  it("counts UTF-8 bytes, not UTF-16 units, in the length table", () => {
    expect(toHex(serializePairs([new HeaderPair("k", "é")]))).toBe(
      "01 00 00 00 01 00 00 00 02 00 00 00 6b 00 c3 a9 00");
  });
});

describe("deserializePairs", () => {
  it("reads the layout Envoy writes, in order, with empty values", () => {
    const buf = hex("02 00 00 00 07 00 00 00 03 00 00 00 03 00 00 00 00 00 00 00" +
      " 3a 73 74 61 74 75 73 00 32 30 30 00 78 2d 61 00 00");
    const p = deserializePairs(changetype<usize>(buf), buf.byteLength);
    expect(lastResult()).toBe(WasmResult.Ok);
    expect(p.length).toBe(2);
    expect(p[0].key).toBe(":status");
    expect(p[0].value).toBe("200");
    expect(p[1].key).toBe("x-a");
    expect(p[1].value).toBe("");
  });

  it("round-trips what serializePairs writes, UTF-8 included", () => {
    const src = [new HeaderPair(":path", "/messages?a=1"), new HeaderPair("x-name", "café ☕"), new HeaderPair("x-name", "2")];
    const buf = serializePairs(src);
    const back = deserializePairs(changetype<usize>(buf), buf.byteLength);
    expect(back.length).toBe(3);
    for (let i = 0; i < 3; i++) {
      expect(back[i].key).toBe(src[i].key);
      expect(back[i].value).toBe(src[i].value);
    }
  });

  it("reads zero bytes as an empty map", () => {
    expect(deserializePairs(0, 0).length).toBe(0);
    expect(lastResult()).toBe(WasmResult.Ok);
  });

  it("rejects a count larger than the buffer can hold, reading nothing", () => {
    const buf = hex("05 00 00 00 01 00 00 00 01 00 00 00 61 00 62 00");
    expect(deserializePairs(changetype<usize>(buf), buf.byteLength).length).toBe(0);
    expect(lastResult()).toBe(WasmResult.SerializationFailure);
  });

  it("stops at a length that runs past the end, keeping the pairs before it", () => {
    const buf = hex("02 00 00 00 01 00 00 00 01 00 00 00 01 00 00 00 09 00 00 00 61 00 62 00 63 00 64 00");
    const p = deserializePairs(changetype<usize>(buf), buf.byteLength);
    expect(lastResult()).toBe(WasmResult.SerializationFailure);
    expect(p.length).toBe(1);
    expect(p[0].key).toBe("a");
  });

  it("rejects a buffer shorter than the count field", () => {
    const buf = hex("01 00");
    expect(deserializePairs(changetype<usize>(buf), buf.byteLength).length).toBe(0);
    expect(lastResult()).toBe(WasmResult.SerializationFailure);
  });
});

describe("serializePath", () => {
  it("writes each property path segment followed by NUL, as Envoy splits on NUL", () => {
    expect(toHex(serializePath(["plugin_root_id"]))).toBe("70 6c 75 67 69 6e 5f 72 6f 6f 74 5f 69 64 00");
    expect(toHex(serializePath(["request", "path"]))).toBe("72 65 71 75 65 73 74 00 70 61 74 68 00");
  });
});
