import { statSegment, limitKeySegment, queryParam, hostOfAddress, serviceCountKey, keyCountKey,
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

describe("limitKeySegment", () => {
  it("keeps a short printable key", () => {
    expect(limitKeySegment("U123")).toBe("U123");
  });
  it("hashes a long key into # and 16 hex digits", () => {
    const k = limitKeySegment("u".repeat(200));
    expect(k.length).toBe(17);
    expect(k.startsWith("#")).toBe(true);
    expect(limitKeySegment("u".repeat(200))).toBe(k);
    expect(limitKeySegment("v".repeat(200)) != k).toBe(true);
  });
  it("hashes keys with spaces, control bytes or # so stored keys stay unambiguous", () => {
    expect(limitKeySegment("a b").startsWith("#")).toBe(true);
    expect(limitKeySegment("#0011").startsWith("#")).toBe(true);
    expect(limitKeySegment("#0011") != "#0011").toBe(true);
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
    expect(keyCountKey("messages", "U1")).toBe("wss.cx.messages.key.U1");
    expect(listenerCountKey("ingress")).toBe("wss.tcp.ingress");
    expect(sourceCountKey("ingress", "10.0.0.1")).toBe("wss.tcp.ingress.src.10.0.0.1");
  });
});
