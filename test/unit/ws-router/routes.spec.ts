import { RouteTable, prefixMatches, normalizeHost } from "../../../filters/ws-router/routes";

const MESSAGES = 0;
const PRESENCE = 1;
const APPS = 2;
const MESSAGES_V2 = 3;
const BACKUP_ONLY = 4;

function table(): RouteTable {
  const t = new RouteTable();
  expect(t.add("/messages", [], MESSAGES)).toBeNull();
  expect(t.add("/presence", [], PRESENCE)).toBeNull();
  expect(t.add("/apps", ["wss-primary.slack.com", "wss-backup.slack.com"], APPS)).toBeNull();
  expect(t.add("/messages/v2", [], MESSAGES_V2)).toBeNull();
  expect(t.add("/messages", ["wss-backup.slack.com"], BACKUP_ONLY)).toBeNull();
  t.compile();
  return t;
}

describe("route table", () => {
  it("routes each configured prefix to its service", () => {
    const t = table();
    expect(t.match("wss-primary.slack.com", "/messages")).toBe(MESSAGES);
    expect(t.match("wss-primary.slack.com", "/presence")).toBe(PRESENCE);
    expect(t.match("wss-primary.slack.com", "/apps")).toBe(APPS);
  });

  it("lets the longest matching prefix win", () => {
    const t = table();
    expect(t.match("x", "/messages/v2/abc")).toBe(MESSAGES_V2);
    expect(t.match("x", "/messages/v3")).toBe(MESSAGES);
  });

  it("matches on a path-segment boundary and ignores the query", () => {
    const t = table();
    expect(t.match("x", "/messages?team=T1")).toBe(MESSAGES);
    expect(t.match("x", "/messages/")).toBe(MESSAGES);
    expect(t.match("x", "/messagesx")).toBe(-1);
    expect(t.match("x", "/message")).toBe(-1);
    expect(t.match("x", "/")).toBe(-1);
  });

  it("compares paths case-sensitively, as Envoy's route match does by default", () => {
    expect(table().match("x", "/Messages")).toBe(-1);
  });

  it("restricts a host route to its hosts, ignoring case and port", () => {
    const t = table();
    expect(t.match("wss-backup.slack.com", "/apps")).toBe(APPS);
    expect(t.match("WSS-Backup.Slack.com:443", "/apps/socket")).toBe(APPS);
    expect(t.match("evil.example.com", "/apps")).toBe(-1);
    expect(t.match("", "/apps")).toBe(-1);
  });

  it("prefers a host route over an any-host route with the same prefix", () => {
    const t = table();
    expect(t.match("wss-backup.slack.com", "/messages")).toBe(BACKUP_ONLY);
    expect(t.match("wss-primary.slack.com", "/messages")).toBe(MESSAGES);
    // A longer any-host prefix still beats a shorter host prefix.
    expect(t.match("wss-backup.slack.com", "/messages/v2")).toBe(MESSAGES_V2);
  });

  it("treats a prefix ending in a slash as a plain string prefix", () => {
    const t = new RouteTable();
    t.add("/", [], 7);
    t.add("/a/", [], 8);
    t.compile();
    expect(t.match("h", "/anything")).toBe(7);
    expect(t.match("h", "/a/b")).toBe(8);
    expect(t.match("h", "/a")).toBe(7);
  });

  it("refuses the same prefix twice for any host or for a shared host", () => {
    const t = new RouteTable();
    expect(t.add("/m", [], 0)).toBeNull();
    expect(t.add("/m", [], 1)).toBe("duplicate prefix \"/m\" for any host");
    expect(t.add("/m", ["A.example"], 1)).toBeNull();
    expect(t.add("/m", ["b.example", "a.example:8443"], 2)).toBe("duplicate prefix \"/m\" for host \"a.example\"");
  });

  it("finds nothing in an empty table", () => {
    const t = new RouteTable();
    t.compile();
    expect(t.match("h", "/messages")).toBe(-1);
  });
});

describe("prefix and host helpers", () => {
  it("stops a prefix at '/', '?' or '#' only", () => {
    expect(prefixMatches("/apps", "/apps#frag")).toBe(true);
    expect(prefixMatches("/apps", "/apps?x")).toBe(true);
    expect(prefixMatches("/apps", "/apps-x")).toBe(false);
  });

  it("drops the port from host:port but keeps IPv6 literals whole", () => {
    expect(normalizeHost("Example.COM:8080")).toBe("example.com");
    expect(normalizeHost("[::1]:8080")).toBe("[::1]");
    expect(normalizeHost("::1")).toBe("::1");
    expect(normalizeHost("host:")).toBe("host");
    expect(normalizeHost("127.0.0.1")).toBe("127.0.0.1");
  });
});
