import { parseHttpConfig, parseTcpConfig } from "../../../filters/conn-accounting/config";
import { configError } from "../../../sdk/config";

describe("parseHttpConfig", () => {
  it("gives the documented defaults for an empty configuration", () => {
    const c = parseHttpConfig("")!;
    expect(c.fallbackService).toBe("unknown");
    expect(c.defaultMaxActive).toBe(0);
    expect(c.defaultMaxActivePerKey).toBe(0);
    expect(c.retryAfterS).toBe(10);
    expect(c.retryAfterJitterS).toBe(5);
    expect(c.countFrames).toBe(true);
    expect(c.maxServices).toBe(256);
    expect(c.services.length).toBe(0);
  });

  it("reads services with their own limits and inherits the defaults", () => {
    const c = parseHttpConfig('{"default_max_active":100,"default_max_active_per_key":3,"limit_key_header":"X-User-Id",' +
      '"services":[{"name":"messages","max_active":5000},{"name":"apps","max_active_per_key":1}]}')!;
    expect(c.services.length).toBe(2);
    expect(c.services[0].name).toBe("messages");
    expect(c.services[0].maxActive).toBe(5000);
    expect(c.services[0].maxActivePerKey).toBe(3);
    expect(c.services[1].maxActive).toBe(100);
    expect(c.services[1].maxActivePerKey).toBe(1);
    expect(c.limitKeyHeader).toBe("x-user-id");
  });

  it("names an unknown key", () => {
    expect(parseHttpConfig('{"max_active":5}')).toBeNull();
    expect(configError().startsWith("max_active: unknown key")).toBe(true);
  });

  it("names the key path of a wrong type inside services", () => {
    expect(parseHttpConfig('{"services":[{"name":"messages"},{"name":"apps","max_active":"10"}]}')).toBeNull();
    expect(configError()).toBe("services[1].max_active: expected integer, got string");
  });

  it("rejects a service name that cannot be a stat name segment", () => {
    expect(parseHttpConfig('{"services":[{"name":"a.b"}]}')).toBeNull();
    expect(configError().startsWith("services[0].name: \"a.b\" must be 1-64 characters")).toBe(true);
  });

  it("rejects a service listed twice", () => {
    expect(parseHttpConfig('{"services":[{"name":"apps"},{"name":"apps"}]}')).toBeNull();
    expect(configError()).toBe("services[1].name: \"apps\" is listed twice");
  });

  it("requires a service name", () => {
    expect(parseHttpConfig('{"services":[{"max_active":1}]}')).toBeNull();
    expect(configError()).toBe("services[0].name: required");
  });

  it("rejects a negative limit", () => {
    expect(parseHttpConfig('{"default_max_active":-1}')).toBeNull();
    expect(configError().startsWith("default_max_active:")).toBe(true);
  });

  it("rejects both a header and a query limit key", () => {
    expect(parseHttpConfig('{"limit_key_header":"x-user","limit_key_query":"user"}')).toBeNull();
    expect(configError()).toBe("limit_key_query: set limit_key_header or limit_key_query, not both");
  });

  it("rejects jitter that reaches zero seconds", () => {
    expect(parseHttpConfig('{"retry_after_s":5,"retry_after_jitter_s":5}')).toBeNull();
    expect(configError()).toBe("retry_after_jitter_s: must be less than retry_after_s (5)");
  });

  it("names invalid JSON", () => {
    expect(parseHttpConfig('{"services":[}')).toBeNull();
    expect(configError().startsWith("configuration: invalid JSON")).toBe(true);
  });
});

describe("parseTcpConfig", () => {
  it("gives the documented defaults", () => {
    const c = parseTcpConfig("")!;
    expect(c.listener).toBe("ingress");
    expect(c.maxPerListener).toBe(0);
    expect(c.maxPerSource).toBe(0);
  });
  it("reads caps", () => {
    const c = parseTcpConfig('{"listener":"public","max_per_listener":1000,"max_per_source":10}')!;
    expect(c.listener).toBe("public");
    expect(c.maxPerListener).toBe(1000);
    expect(c.maxPerSource).toBe(10);
  });
  it("names an unknown key", () => {
    expect(parseTcpConfig('{"max_per_ip":3}')).toBeNull();
    expect(configError().startsWith("max_per_ip: unknown key")).toBe(true);
  });
});
