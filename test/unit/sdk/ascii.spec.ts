import { asciiLower } from "../../../sdk/ascii";

describe("asciiLower", () => {
  it("maps A-Z to a-z and leaves digits, punctuation and non-ASCII letters alone", () => {
    expect(asciiLower("X-Drain-Token")).toBe("x-drain-token");
    expect(asciiLower("WebSocket")).toBe("websocket");
    expect(asciiLower("@[`{09")).toBe("@[`{09");
    expect(asciiLower("ÄÖ-Z")).toBe("ÄÖ-z");
  });
  it("returns the same string when there is nothing to fold", () => {
    const s = "permessage-deflate; client_max_window_bits";
    expect(changetype<usize>(asciiLower(s))).toBe(changetype<usize>(s));
    expect(asciiLower("")).toBe("");
  });
});
