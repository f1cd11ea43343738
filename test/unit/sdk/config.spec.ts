// Strict plugin-config JSON: RFC 8259 only, and a reader whose errors name the key path.
import { ConfigReader } from "../../../sdk/config";
import { JsonValue, lastJsonError, parseJson } from "../../../sdk/json";

function err(text: string): string {
  expect(parseJson(text)).toBeNull();
  return lastJsonError() as string;
}

describe("parseJson", () => {
  it("parses objects, arrays, strings, numbers, booleans and null", () => {
    const v = parseJson(' {"a": [1, -2, 3.5, 1e3], "b": {"c": true, "d": null}, "s": "x"} ') as JsonValue;
    expect(v.isObject()).toBe(true);
    const a = v.get("a") as JsonValue;
    expect(a.isArray()).toBe(true);
    expect(a.length).toBe(4);
    expect(a.items[0].intValue).toBe(1);
    expect(a.items[1].intValue).toBe(-2);
    expect(a.items[2].isInteger).toBe(false);
    expect(a.items[2].toF64()).toBe(3.5);
    expect(a.items[3].toF64()).toBe(1000.0);
    expect((v.get("b") as JsonValue).get("c")!.boolValue).toBe(true);
    expect((v.get("b") as JsonValue).get("d")!.isNull()).toBe(true);
    expect((v.get("s") as JsonValue).stringValue).toBe("x");
    expect(v.get("missing")).toBeNull();
  });

  it("decodes every escape, including \\u surrogate pairs", () => {
    const v = parseJson('"q\\"b\\\\s\\/n\\nt\\tu\\u00e9\\ud83d\\ude00"') as JsonValue;
    expect(v.stringValue).toBe("q\"b\\s/n\nt\tué😀");
  });

  it("keeps integers exactly up to i64 limits", () => {
    expect((parseJson("9223372036854775807") as JsonValue).intValue).toBe(i64.MAX_VALUE);
    expect((parseJson("-9223372036854775807") as JsonValue).intValue).toBe(-i64.MAX_VALUE);
    expect((parseJson("9223372036854775808") as JsonValue).isInteger).toBe(false);
    expect((parseJson("0.1") as JsonValue).toF64()).toBe(0.1);
    expect((parseJson("-2.5e-3") as JsonValue).toF64()).toBe(-0.0025);
  });

  it("names the offset and the problem of malformed input", () => {
    expect(err('{"a": 1,}')).toBe("offset 8: expected a string key");
    expect(err('{"a" 1}')).toBe("offset 5: expected ':'");
    expect(err('[1 2]')).toBe("offset 3: expected ',' or ']'");
    expect(err('{"a": 1, "a": 2}')).toBe('offset 9: duplicate key "a"');
    expect(err('{"a": tru}')).toBe("offset 6: unexpected character");
    expect(err('// c\n{}')).toBe("offset 0: unexpected character");
    expect(err('{"a": "x')).toBe("offset 8: unterminated string");
    expect(err('"a\\x"')).toBe("offset 3: bad escape");
    expect(err("01")).toBe("offset 2: bad number");
    expect(err("1.")).toBe("offset 2: bad number");
    expect(err("{} x")).toBe("offset 3: unexpected text after the value");
    expect(err("")).toBe("offset 0: unexpected end of input");
    expect(err('"a\nb"')).toBe("offset 2: control character in string");
  });

  it("refuses nesting deeper than 64 levels instead of exhausting the stack", () => {
    expect(err("[".repeat(70) + "]".repeat(70))).toBe("offset 65: nesting deeper than 64");
  });
});

describe("ConfigReader", () => {
  it("reads typed members with defaults and accepts a config using only known keys", () => {
    const r = ConfigReader.parse('{"name": "x-a", "limit": 10, "on": false, "sub": {"k": "v"}}');
    expect(r.string("name", true, "")).toBe("x-a");
    expect(r.int("limit", true, 0, 0, 100)).toBe(10);
    expect(r.bool("on", false, true)).toBe(false);
    expect(r.string("absent", false, "def")).toBe("def");
    const sub = r.object("sub", true) as ConfigReader;
    expect(sub.string("k", true, "")).toBe("v");
    expect(r.finish()).toBe(true);
    expect(r.error).toBeNull();
  });

  it("names an unknown key and lists the known ones", () => {
    const r = ConfigReader.parse('{"name": "x", "nmae": "y"}');
    r.string("name", true, "");
    expect(r.finish()).toBe(false);
    expect(r.error).toBe("nmae: unknown key (known: name)");
  });

  it("names a wrong type with what was expected and what was found", () => {
    const r = ConfigReader.parse('{"name": 5}');
    r.string("name", true, "");
    expect(r.finish()).toBe(false);
    expect(r.error).toBe("name: expected string, got number");
  });

  it("names a missing required key", () => {
    const r = ConfigReader.parse("{}");
    r.string("value", true, "");
    expect(r.finish()).toBe(false);
    expect(r.error).toBe("value: required");
  });

  it("gives the full path of a problem inside arrays of objects", () => {
    const r = ConfigReader.parse('{"routes": [{"cluster": "a"}, {"cluster": "b"}, {"cluster": 3}]}');
    const routes = r.array("routes", true) as JsonValue[];
    for (let i = 0; i < routes.length; i++) {
      const e = r.element("routes", i, routes[i]);
      if (e !== null) e.string("cluster", true, "");
    }
    expect(r.finish()).toBe(false);
    expect(r.error).toBe("routes[2].cluster: expected string, got number");
  });

  it("finds unknown keys in nested objects when the top reader finishes", () => {
    const r = ConfigReader.parse('{"drain": {"window_s": 20, "extra": 1}}');
    const d = r.object("drain", true) as ConfigReader;
    d.int("window_s", true, 0, 1, 3600);
    expect(r.finish()).toBe(false);
    expect(r.error).toBe("drain.extra: unknown key (known: window_s)");
  });

  it("enforces integer bounds and rejects fractions where an integer is expected", () => {
    const r1 = ConfigReader.parse('{"n": 101}');
    r1.int("n", true, 0, 0, 100);
    expect(r1.error).toBe("n: must be between 0 and 100, got 101");
    const r2 = ConfigReader.parse('{"n": 1.5}');
    r2.int("n", true, 0, 0, 100);
    expect(r2.error).toBe("n: expected integer, got 1.5");
  });

  it("keeps the first error when several keys are wrong", () => {
    const r = ConfigReader.parse('{"a": 1, "b": 2}');
    r.string("a", true, "");
    r.string("b", true, "");
    expect(r.error).toBe("a: expected string, got number");
  });

  it("reports invalid JSON and a top level that is not an object", () => {
    const bad = ConfigReader.parse('{"a": }');
    expect(bad.finish()).toBe(false);
    expect(bad.error).toBe("configuration: invalid JSON at offset 6: unexpected character");
    const arr = ConfigReader.parse("[1]");
    expect(arr.finish()).toBe(false);
    expect(arr.error).toBe("configuration: expected object, got array");
  });
});
