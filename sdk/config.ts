// Strict JSON for plugin configuration. Envoy hands the plugin its `configuration` bytes as-is
// (a google.protobuf.StringValue arrives unwrapped: context.cc onConfigure), so the filter parses
// it. Strict means RFC 8259 JSON only (no comments, no trailing commas, no duplicate keys), and
// a ConfigReader that rejects unknown keys, wrong types and missing required fields with an
// error naming the key path ("routes[2].cluster: expected string, got number").
// Pure code: no hostcall, so the as-pect specs run it directly.

export enum JsonKind { Null, Bool, Number, String, Array, Object }

export class JsonValue {
  kind: JsonKind = JsonKind.Null;
  boolValue: bool = false;
  numberValue: f64 = 0;
  /** True when the number was written without fraction or exponent and fits an i64. */
  isInteger: bool = false;
  intValue: i64 = 0;
  stringValue: string = "";
  items: JsonValue[] = [];
  keys: string[] = [];

  isNull(): bool { return this.kind == JsonKind.Null; }
  isBool(): bool { return this.kind == JsonKind.Bool; }
  isNumber(): bool { return this.kind == JsonKind.Number; }
  isString(): bool { return this.kind == JsonKind.String; }
  isArray(): bool { return this.kind == JsonKind.Array; }
  isObject(): bool { return this.kind == JsonKind.Object; }

  /** An object member by key (null when absent or not an object). */
  get(key: string): JsonValue | null {
    if (this.kind != JsonKind.Object) return null;
    for (let i = 0; i < this.keys.length; i++) if (unchecked(this.keys[i]) == key) return unchecked(this.items[i]);
    return null;
  }

  /** Number of array items or object members. */
  get length(): i32 { return this.items.length; }

  /** Turns this value into an empty object (used for a reader over invalid input). */
  asObject(): JsonValue { this.kind = JsonKind.Object; return this; }

  /** "string", "number", ... for error messages. */
  kindName(): string { return kindName(this.kind); }
}

export function kindName(k: JsonKind): string {
  switch (k) {
    case JsonKind.Null: return "null";
    case JsonKind.Bool: return "boolean";
    case JsonKind.Number: return "number";
    case JsonKind.String: return "string";
    case JsonKind.Array: return "array";
  }
  return "object";
}

let jsonError: string | null = null;

/** Why the last parseJson returned null ("offset 12: expected ':' after object key"). */
export function lastJsonError(): string | null { return jsonError; }

const MAX_DEPTH = 64;

class Parser {
  pos: i32 = 0;
  err: string | null = null;
  constructor(readonly s: string) {}

  fail(msg: string): JsonValue | null {
    if (this.err === null) this.err = "offset " + this.pos.toString() + ": " + msg;
    return null;
  }

  ws(): void {
    const s = this.s;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d) this.pos++;
      else break;
    }
  }

  value(depth: i32): JsonValue | null {
    if (depth > MAX_DEPTH) return this.fail("nesting deeper than " + MAX_DEPTH.toString());
    this.ws();
    if (this.pos >= this.s.length) return this.fail("unexpected end of input");
    const c = this.s.charCodeAt(this.pos);
    if (c == 0x7b) return this.object(depth);
    if (c == 0x5b) return this.array(depth);
    if (c == 0x22) {
      const str = this.string();
      if (str === null) return null;
      const v = new JsonValue();
      v.kind = JsonKind.String;
      v.stringValue = str;
      return v;
    }
    if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    if (this.word("true")) { const v = new JsonValue(); v.kind = JsonKind.Bool; v.boolValue = true; return v; }
    if (this.word("false")) { const v = new JsonValue(); v.kind = JsonKind.Bool; return v; }
    if (this.word("null")) return new JsonValue();
    return this.fail("unexpected character '" + String.fromCharCode(c) + "'");
  }

  word(w: string): bool {
    if (this.s.substr(this.pos, w.length) == w) { this.pos += w.length; return true; }
    return false;
  }

  object(depth: i32): JsonValue | null {
    const v = new JsonValue();
    v.kind = JsonKind.Object;
    this.pos++;
    this.ws();
    if (this.pos < this.s.length && this.s.charCodeAt(this.pos) == 0x7d) { this.pos++; return v; }
    while (true) {
      this.ws();
      if (this.pos >= this.s.length || this.s.charCodeAt(this.pos) != 0x22) return this.fail("expected '\"' to start an object key");
      const keyAt = this.pos;
      const key = this.string();
      if (key === null) return null;
      for (let i = 0; i < v.keys.length; i++) {
        if (unchecked(v.keys[i]) == key) { this.pos = keyAt; return this.fail("duplicate key \"" + key + "\""); }
      }
      this.ws();
      if (this.pos >= this.s.length || this.s.charCodeAt(this.pos) != 0x3a) return this.fail("expected ':' after object key");
      this.pos++;
      const item = this.value(depth + 1);
      if (item === null) return null;
      v.keys.push(key);
      v.items.push(item);
      this.ws();
      if (this.pos >= this.s.length) return this.fail("unexpected end of input in object");
      const c = this.s.charCodeAt(this.pos++);
      if (c == 0x7d) return v;
      if (c != 0x2c) { this.pos--; return this.fail("expected ',' or '}' in object"); }
    }
  }

  array(depth: i32): JsonValue | null {
    const v = new JsonValue();
    v.kind = JsonKind.Array;
    this.pos++;
    this.ws();
    if (this.pos < this.s.length && this.s.charCodeAt(this.pos) == 0x5d) { this.pos++; return v; }
    while (true) {
      const item = this.value(depth + 1);
      if (item === null) return null;
      v.items.push(item);
      this.ws();
      if (this.pos >= this.s.length) return this.fail("unexpected end of input in array");
      const c = this.s.charCodeAt(this.pos++);
      if (c == 0x5d) return v;
      if (c != 0x2c) { this.pos--; return this.fail("expected ',' or ']' in array"); }
    }
  }

  hex4(): i32 {
    if (this.pos + 4 > this.s.length) return -1;
    let n = 0;
    for (let i = 0; i < 4; i++) {
      const c = this.s.charCodeAt(this.pos + i);
      let d: i32;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (c >= 0x61 && c <= 0x66) d = c - 0x57;
      else if (c >= 0x41 && c <= 0x46) d = c - 0x37;
      else return -1;
      n = (n << 4) | d;
    }
    this.pos += 4;
    return n;
  }

  string(): string | null {
    const s = this.s;
    this.pos++;
    let out = "";
    let runStart = this.pos;
    while (true) {
      if (this.pos >= s.length) { this.fail("unterminated string"); return null; }
      const c = s.charCodeAt(this.pos);
      if (c == 0x22) {
        out += s.substring(runStart, this.pos);
        this.pos++;
        return out;
      }
      if (c < 0x20) { this.fail("control character in string"); return null; }
      if (c != 0x5c) { this.pos++; continue; }
      out += s.substring(runStart, this.pos);
      this.pos++;
      if (this.pos >= s.length) { this.fail("unterminated string"); return null; }
      const e = s.charCodeAt(this.pos++);
      if (e == 0x22) out += "\"";
      else if (e == 0x5c) out += "\\";
      else if (e == 0x2f) out += "/";
      else if (e == 0x62) out += "\b";
      else if (e == 0x66) out += "\f";
      else if (e == 0x6e) out += "\n";
      else if (e == 0x72) out += "\r";
      else if (e == 0x74) out += "\t";
      else if (e == 0x75) {
        const u = this.hex4();
        if (u < 0) { this.fail("bad \\u escape"); return null; }
        out += String.fromCharCode(u);
      } else { this.pos--; this.fail("bad escape '\\" + String.fromCharCode(e) + "'"); return null; }
      runStart = this.pos;
    }
  }

  number(): JsonValue | null {
    const s = this.s;
    const start = this.pos;
    let integral = true;
    if (s.charCodeAt(this.pos) == 0x2d) this.pos++;
    if (this.pos >= s.length) return this.fail("bad number");
    let c = s.charCodeAt(this.pos);
    if (c == 0x30) {
      this.pos++;
    } else if (c >= 0x31 && c <= 0x39) {
      while (this.pos < s.length && isDigit(s.charCodeAt(this.pos))) this.pos++;
    } else return this.fail("bad number");
    if (this.pos < s.length && s.charCodeAt(this.pos) == 0x2e) {
      integral = false;
      this.pos++;
      if (this.pos >= s.length || !isDigit(s.charCodeAt(this.pos))) return this.fail("bad number: digit expected after '.'");
      while (this.pos < s.length && isDigit(s.charCodeAt(this.pos))) this.pos++;
    }
    if (this.pos < s.length && (s.charCodeAt(this.pos) | 0x20) == 0x65) {
      integral = false;
      this.pos++;
      if (this.pos < s.length) {
        c = s.charCodeAt(this.pos);
        if (c == 0x2b || c == 0x2d) this.pos++;
      }
      if (this.pos >= s.length || !isDigit(s.charCodeAt(this.pos))) return this.fail("bad number: digit expected in exponent");
      while (this.pos < s.length && isDigit(s.charCodeAt(this.pos))) this.pos++;
    }
    const text = s.substring(start, this.pos);
    const v = new JsonValue();
    v.kind = JsonKind.Number;
    v.numberValue = parseFloat(text);
    if (integral) {
      // Exact i64 when it fits (19 digits or fewer, checked for overflow).
      let acc: i64 = 0;
      let ok = true;
      const neg = text.charCodeAt(0) == 0x2d;
      for (let i = neg ? 1 : 0; i < text.length; i++) {
        const d = <i64>(text.charCodeAt(i) - 0x30);
        if (acc > (i64.MAX_VALUE - d) / 10) { ok = false; break; }
        acc = acc * 10 + d;
      }
      if (ok) { v.isInteger = true; v.intValue = neg ? -acc : acc; }
    }
    return v;
  }
}

@inline function isDigit(c: i32): bool { return c >= 0x30 && c <= 0x39; }

/** Parses RFC 8259 JSON; null on error, with lastJsonError() naming the offset and problem. */
export function parseJson(text: string): JsonValue | null {
  const p = new Parser(text);
  jsonError = null;
  const v = p.value(0);
  if (v === null) { jsonError = p.err; return null; }
  p.ws();
  if (p.pos != text.length) { p.fail("unexpected text after the JSON value"); jsonError = p.err; return null; }
  return v;
}

/** Collects the first error of a tree of readers. */
class ErrorSink {
  error: string | null = null;
}

/** Reads one JSON object strictly. Each accessor marks its key as known; finish() reports the
 *  first unknown key. The first error (of this reader or any child) is kept in `error`. */
export class ConfigReader {
  private sink: ErrorSink;
  private seen: string[] = [];
  private children: ConfigReader[] = [];
  private finished: bool = false;
  private obj: JsonValue;

  constructor(root: JsonValue, readonly path: string = "") {
    this.sink = new ErrorSink();
    this.obj = root;
    if (!root.isObject()) this.fail(path == "" ? "configuration" : path, "expected object, got " + root.kindName());
  }

  /** The first error, e.g. "routes[2].cluster: expected string, got number"; null when none. */
  get error(): string | null { return this.sink.error; }

  /** Parses text and wraps the top-level object; JSON syntax errors become `error`. */
  static parse(text: string): ConfigReader {
    const v = parseJson(text);
    if (v === null) {
      const r = new ConfigReader(new JsonValue().asObject(), "");
      r.fail("configuration", "invalid JSON at " + (lastJsonError() as string));
      return r;
    }
    return new ConfigReader(v, "");
  }

  /** The key path of a member: "key" at the top, "parent.key" below. */
  keyPath(key: string): string { return this.path == "" ? key : this.path + "." + key; }

  /** Records an error at `where` unless one is already recorded. */
  fail(where: string, message: string): void {
    if (this.sink.error === null) this.sink.error = where + ": " + message;
  }

  private member(key: string, required: bool): JsonValue | null {
    this.seen.push(key);
    const v = this.obj.get(key);
    if (v === null && required) this.fail(this.keyPath(key), "required");
    return v;
  }

  private typeError(key: string, expected: string, got: JsonValue): void {
    this.fail(this.keyPath(key), "expected " + expected + ", got " + got.kindName());
  }

  /** A string member (def when absent and not required). */
  string(key: string, required: bool, def: string): string {
    const v = this.member(key, required);
    if (v === null) return def;
    if (!v.isString()) { this.typeError(key, "string", v); return def; }
    return v.stringValue;
  }

  /** An integer member within [min, max] (def when absent and not required). */
  int(key: string, required: bool, def: i64, min: i64, max: i64): i64 {
    const v = this.member(key, required);
    if (v === null) return def;
    if (!v.isNumber()) { this.typeError(key, "integer", v); return def; }
    if (!v.isInteger) { this.fail(this.keyPath(key), "expected integer, got " + v.numberValue.toString()); return def; }
    if (v.intValue < min || v.intValue > max) {
      this.fail(this.keyPath(key), "must be between " + min.toString() + " and " + max.toString() + ", got " + v.intValue.toString());
      return def;
    }
    return v.intValue;
  }

  /** A number member (def when absent and not required). */
  number(key: string, required: bool, def: f64): f64 {
    const v = this.member(key, required);
    if (v === null) return def;
    if (!v.isNumber()) { this.typeError(key, "number", v); return def; }
    return v.numberValue;
  }

  /** A boolean member (def when absent and not required). */
  bool(key: string, required: bool, def: bool): bool {
    const v = this.member(key, required);
    if (v === null) return def;
    if (!v.isBool()) { this.typeError(key, "boolean", v); return def; }
    return v.boolValue;
  }

  /** A nested object as a reader sharing this reader's error; null when absent or wrong type. */
  object(key: string, required: bool): ConfigReader | null {
    const v = this.member(key, required);
    if (v === null) return null;
    if (!v.isObject()) { this.typeError(key, "object", v); return null; }
    return this.child(v, this.keyPath(key));
  }

  /** An array member's items; null when absent or wrong type. */
  array(key: string, required: bool): JsonValue[] | null {
    const v = this.member(key, required);
    if (v === null) return null;
    if (!v.isArray()) { this.typeError(key, "array", v); return null; }
    return v.items;
  }

  /** A reader for item `index` of array `key` (path "key[index]"); records an error and returns
   *  null when the item is not an object. */
  element(key: string, index: i32, item: JsonValue): ConfigReader | null {
    const where = this.keyPath(key) + "[" + index.toString() + "]";
    if (!item.isObject()) { this.fail(where, "expected object, got " + item.kindName()); return null; }
    return this.child(item, where);
  }

  /** A string item of array `key` (records an error naming "key[index]" when not a string). */
  elementString(key: string, index: i32, item: JsonValue): string {
    if (!item.isString()) {
      this.fail(this.keyPath(key) + "[" + index.toString() + "]", "expected string, got " + item.kindName());
      return "";
    }
    return item.stringValue;
  }

  private child(v: JsonValue, path: string): ConfigReader {
    const c = new ConfigReader(v, path);
    c.sink = this.sink;
    this.children.push(c);
    return c;
  }

  /** Reports the first key nobody asked for (here and in child readers); true when no error. */
  finish(): bool {
    if (this.finished) return this.sink.error === null;
    this.finished = true;
    if (this.obj.isObject()) {
      for (let i = 0; i < this.obj.keys.length; i++) {
        const k = unchecked(this.obj.keys[i]);
        if (!this.seen.includes(k)) {
          this.fail(this.keyPath(k), "unknown key (known: " + this.seen.join(", ") + ")");
          break;
        }
      }
    }
    for (let i = 0; i < this.children.length; i++) unchecked(this.children[i]).finish();
    return this.sink.error === null;
  }
}
