import { statSegment, fnv1a64, queryParam, hostOfAddress, serviceCountKey, keyCountKey,
         listenerCountKey, sourceCountKey } from "../../../filters/conn-accounting/names";

describe("statSegment", () => {
  it("keeps a clean service name", () => {
    expect(statSegment("messages")).toBe("messages");
    expect(statSegment("Team-1_x")).toBe("Team-1_x");
  });
  it("replaces dots and other characters that would split or break a stat name", () => {
    expect(statSegment("a.b c/d")).toBe("a_b_c_d");
  });
  it("caps a segment at 64 characters", () => {
    expect(statSegment("x".repeat(100)).length).toBe(64);
  });
});

describe("fnv1a64", () => {
  it("matches the FNV-1a 64 reference values", () => {
    // Reference: the empty string hashes to the offset basis; "a" to 0xaf63dc4c8601ec8c.
    expect(fnv1a64("")).toBe(0xcbf29ce484222325);
    expect(fnv1a64("a")).toBe(0xaf63dc4c8601ec8c);
  });
  it("separates keys that differ in one character", () => {
    expect(fnv1a64("U123") != fnv1a64("U124")).toBe(true);
  });
});

describe("queryParam", () => {
  it("finds a parameter anywhere in the query", () => {
    expect(queryParam("/messages?team=T1&user=U9", "user")).toBe("U9");
    expect(queryParam("/messages?user=U9&team=T1", "user")).toBe("U9");
  });
  it("returns null when the parameter or the query is absent", () => {
    expect(queryParam("/messages?team=T1", "user")).toBeNull();
    expect(queryParam("/messages", "user")).toBeNull();
  });
  it("does not match a parameter whose name only starts with the wanted name", () => {
    expect(queryParam("/m?username=a&user=b", "user")).toBe("b");
  });
  it("returns an empty string for a parameter without a value", () => {
    expect(queryParam("/m?user&x=1", "user")).toBe("");
  });
  it("stops at a fragment", () => {
    expect(queryParam("/m?a=1#user=2", "user")).toBeNull();
  });
});

describe("hostOfAddress", () => {
  it("drops the port of an IPv4 address", () => { expect(hostOfAddress("10.0.0.1:5555")).toBe("10.0.0.1"); });
  it("drops brackets and port of an IPv6 address", () => { expect(hostOfAddress("[::1]:80")).toBe("::1"); });
  it("keeps an address without a port", () => { expect(hostOfAddress("10.0.0.1")).toBe("10.0.0.1"); });
});

describe("shared-data keys", () => {
  it("name service, limit key, listener and source counts", () => {
    expect(serviceCountKey("messages")).toBe("wss.cx.messages");
    expect(keyCountKey("messages", fnv1a64("a"))).toBe("wss.cx.messages.key.af63dc4c8601ec8c");
    expect(listenerCountKey("ingress")).toBe("wss.tcp.ingress");
    expect(sourceCountKey("ingress", "10.0.0.1")).toBe("wss.tcp.ingress.src.10.0.0.1");
  });
});
