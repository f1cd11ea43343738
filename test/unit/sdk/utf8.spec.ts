import { utf8Encode, utf8Length } from "../../../sdk/utf8";

function same(s: string): bool {
  const ours = Uint8Array.wrap(utf8Encode(s));
  const std = Uint8Array.wrap(String.UTF8.encode(s, false));
  if (ours.length != std.length || <usize>ours.length != utf8Length(s)) return false;
  for (let i = 0; i < ours.length; i++) if (ours[i] != std[i]) return false;
  return true;
}

describe("utf8Encode", () => {
  it("gives std's bytes for ASCII, 2-, 3- and 4-byte characters", () => {
    expect(same("")).toBe(true);
    expect(same("x-powered-by")).toBe(true);
    expect(same("café ü")).toBe(true);
    expect(same("€ 中文")).toBe(true);
    expect(same("😀 a 𝄞")).toBe(true);
  });
  it("writes a lone surrogate as its 3-byte form, as std's WTF-8 default does", () => {
    expect(same(String.fromCharCode(0xd800))).toBe(true);
    expect(same("a" + String.fromCharCode(0xdc00) + "b")).toBe(true);
    expect(same(String.fromCharCode(0xd83d) + "x")).toBe(true);
  });
  it("encodes € as e2 82 ac", () => {
    const b = Uint8Array.wrap(utf8Encode("€"));
    expect(b.length).toBe(3);
    expect(b[0]).toBe(0xe2);
    expect(b[1]).toBe(0x82);
    expect(b[2]).toBe(0xac);
  });
});
