import { RouteTable } from "../../../filters/ws-router/routes";

describe("route table compilation", () => {
  it("gives the same answers when compiled twice or extended after compiling", () => {
    const t = new RouteTable();
    t.add("/a", ["h.example"], 1);
    t.add("/", [], 0);
    t.compile();
    t.compile();
    expect(t.match("h.example", "/a")).toBe(1);
    t.add("/a/b", [], 2);
    t.compile();
    expect(t.match("h.example", "/a/b")).toBe(2);
    expect(t.match("h.example", "/a")).toBe(1);
    expect(t.match("other", "/a")).toBe(0);
  });

  it("finds host routes among more than eight hosts (hashed lookup)", () => {
    const t = new RouteTable();
    for (let i = 0; i < 20; i++) t.add("/s", ["host-" + i.toString() + ".example"], i);
    t.compile();
    expect(t.match("host-0.example", "/s")).toBe(0);
    expect(t.match("HOST-17.example:8443", "/s")).toBe(17);
    expect(t.match("host-20.example", "/s")).toBe(-1);
  });
});
