// Strict JSON (RFC 8259 only: no comments, no trailing commas, no duplicate keys) for plugin
// configuration. Envoy hands the plugin its `configuration` bytes as-is (a
// google.protobuf.StringValue arrives unwrapped: context.cc onConfigure), so the filter parses
// it; config.ts reads the result with key paths in its errors.
// Pure code: no hostcall, valid anywhere (typically onConfigure); the as-pect specs run it directly.

import { u32s } from "./fmt";

export enum JsonKind { Null, Bool, Number, String, Array, Object }

export class JsonValue {
  kind: JsonKind = JsonKind.Null;
  boolValue: bool = false;
  /** True for a number written without fraction or exponent that fits an i64. */
  get isInteger(): bool { if (this.kind == JsonKind.Number) integerOf(this.text); else integerOk = false; return integerOk; }
  /** The integer (isInteger), else 0. */
  get intValue(): i64 { return this.kind == JsonKind.Number ? integerOf(this.text) : 0; }
  /** A number as f64 (computed from its text by hand: AssemblyScript's parseFloat, strtod,
   *  would add about 4 KiB to every filter). Exact for integers below 2^53 and for the short
   *  decimals configs use; very long mantissas or large exponents may differ in the last ulp. */
  toF64(): f64 { return decimalToF64(this.text); }

  /** A number's source text (for messages, and exact decimal handling by the caller). */
  text: string = "";
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

// Recursive-descent parser over the string's UTF-16 code units (read straight from memory:
// this parser is linked into every filter, so it is kept small).
// The parser's state lives in module globals rather than an object: one parse runs at a time
// (a VM runs one callback at a time), and globals make smaller code than field loads.
let base: usize = 0;
let len: i32 = 0;
let pos: i32 = 0;
let err: string | null = null;

/** The code unit at pos, or -1 at the end. */
@inline function peek(): i32 {
  return pos < len ? <i32>load<u16>(base + (<usize>pos << 1)) : -1;
}

function fail(msg: string): JsonValue | null {
  if (err === null) err = "offset " + u32s(pos) + ": " + msg;
  return null;
}

function ws(): i32 {
  let c = peek();
  while (c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d) { pos++; c = peek(); }
  return c;
}

/** Consumes `c` after optional whitespace. */
function eat(c: i32): bool {
  if (ws() != c) return false;
  pos++;
  return true;
}

function value(depth: i32): JsonValue | null {
  if (depth > MAX_DEPTH) return fail("nesting deeper than " + u32s(MAX_DEPTH));
  const c = ws();
  const v = new JsonValue();
  if (c == 0x7b || c == 0x5b) {
    const close = c + 2; // '}' or ']'
    v.kind = c == 0x7b ? JsonKind.Object : JsonKind.Array;
    pos++;
    if (eat(close)) return v;
    do {
      if (v.kind == JsonKind.Object) {
        if (ws() != 0x22) return fail("expected a string key");
        const keyAt = pos;
        const key = parseString();
        if (key === null) return null;
        if (v.keys.includes(key)) { pos = keyAt; return fail("duplicate key \"" + key + "\""); }
        if (!eat(0x3a)) return fail("expected ':'");
        v.keys.push(key);
      }
      const item = value(depth + 1);
      if (item === null) return null;
      v.items.push(item);
    } while (eat(0x2c));
    if (!eat(close)) return fail("expected ',' or '" + String.fromCharCode(close) + "'");
    return v;
  }
  if (c == 0x22) {
    const str = parseString();
    if (str === null) return null;
    v.kind = JsonKind.String;
    v.stringValue = str;
    return v;
  }
  if (c == 0x2d || isDigit(c)) return parseNumber(v);
  if (word("true")) { v.kind = JsonKind.Bool; v.boolValue = true; return v; }
  if (word("false")) { v.kind = JsonKind.Bool; return v; }
  if (word("null")) return v;
  return fail(c < 0 ? "unexpected end of input" : "unexpected character");
}

/** Consumes the ASCII literal `w` if the input continues with it (compared in place). */
function word(w: string): bool {
  const n = w.length;
  if (pos + n > len) return false;
  if (memory.compare(base + (<usize>pos << 1), changetype<usize>(w), <usize>n << 1) != 0) return false;
  pos += n;
  return true;
}

function digits(): i32 {
  const from = pos;
  while (isDigit(peek())) pos++;
  return pos - from;
}

/** The code unit at `i`, or -1 past the end. */
@inline function at(i: i32): i32 {
  return i < len ? <i32>load<u16>(base + (<usize>i << 1)) : -1;
}

/** The text of [from, to) as a new string (one copy; no substring/concat machinery). */
function slice(from: i32, to: i32): string {
  const out = changetype<string>(__new(<usize>(to - from) << 1, idof<string>()));
  memory.copy(changetype<usize>(out), base + (<usize>from << 1), <usize>(to - from) << 1);
  return out;
}

/** The string token at pos (its opening quote). Two passes: the first finds the end, checks
 *  the escapes and counts code units, so the value is written once into an exact string. */
function parseString(): string | null {
  const start = ++pos;
  let units = 0;
  let p = start;
  while (true) {
    const c = at(p);
    if (c < 0x20) { pos = p; fail(c < 0 ? "unterminated string" : "control character in string"); return null; }
    if (c == 0x22) break;
    if (c == 0x5c) {
      const e = at(p + 1);
      if (e == 0x75) {
        for (let i = 0; i < 4; i++) {
          if (hexDigit(at(p + 2 + i)) < 0) { pos = p + 1 + i; fail("bad escape"); return null; }
        }
        p += 6;
      } else if (escaped(e) < 0) {
        pos = p + 1; fail("bad escape"); return null;
      } else p += 2;
    } else p++;
    units++;
  }
  pos = p + 1;
  if (units == p - start) return slice(start, p);
  const out = changetype<string>(__new(<usize>units << 1, idof<string>()));
  let w = changetype<usize>(out);
  for (let r = start; r < p; w += 2) {
    let c = at(r);
    if (c != 0x5c) { r++; } else {
      const e = at(r + 1);
      if (e == 0x75) {
        c = 0;
        for (let i = 2; i < 6; i++) c = (c << 4) | hexDigit(at(r + i));
        r += 6;
      } else { c = escaped(e); r += 2; }
    }
    store<u16>(w, <u16>c);
  }
  return out;
}

// Number grammar checked here; the value is read from the text only when asked for
// (JsonValue.isInteger/intValue/toF64), so a filter that reads no number links no conversion.
function parseNumber(v: JsonValue): JsonValue | null {
  const start = pos;
  if (peek() == 0x2d) pos++;
  const first = peek();
  const n = digits();
  if (n == 0 || (first == 0x30 && n > 1)) return fail("bad number");
  if (peek() == 0x2e) {
    pos++;
    if (digits() == 0) return fail("bad number");
  }
  if ((peek() | 0x20) == 0x65) {
    pos++;
    const sign = peek();
    if (sign == 0x2b || sign == 0x2d) pos++;
    if (digits() == 0) return fail("bad number");
  }
  v.kind = JsonKind.Number;
  v.text = slice(start, pos);
  return v;
}

/** The value of a hex digit, -1 when `c` is not one. */
function hexDigit(c: i32): i32 {
  if (isDigit(c)) return c - 0x30;
  c |= 0x20;
  return c >= 0x61 && c <= 0x66 ? c - 0x57 : -1;
}

/** The character a one-letter escape (after the backslash) stands for, -1 when invalid. */
function escaped(e: i32): i32 {
  if (e == 0x22 || e == 0x5c || e == 0x2f) return e;
  if (e == 0x62) return 8;
  if (e == 0x66) return 12;
  if (e == 0x6e) return 10;
  if (e == 0x72) return 13;
  if (e == 0x74) return 9;
  return -1;
}

/** Set by integerOf: whether the text was an integer that fits an i64. */
let integerOk = false;

/** The integer a number's text spells (exact: no float on the way); integerOk is false, and the
 *  result 0, when the text has a fraction or exponent or does not fit an i64. */
function integerOf(text: string): i64 {
  integerOk = false;
  const neg = text.charCodeAt(0) == 0x2d;
  let acc: i64 = 0;
  for (let i = neg ? 1 : 0; i < text.length; i++) {
    const d = <i64>(text.charCodeAt(i) - 0x30);
    if (<u64>d > 9 || acc > (i64.MAX_VALUE - d) / 10) return 0;
    acc = acc * 10 + d;
  }
  integerOk = true;
  return neg ? -acc : acc;
}

function decimalToF64(text: string): f64 {
  const neg = text.charCodeAt(0) == 0x2d;
  let mant: f64 = 0;
  let scale: i32 = 0;
  let i = neg ? 1 : 0;
  let dot = false;
  for (; i < text.length; i++) {
    const c = <i32>text.charCodeAt(i);
    if (c == 0x2e) { dot = true; continue; }
    if (!isDigit(c)) break;
    mant = mant * 10 + <f64>(c - 0x30);
    if (dot) scale--;
  }
  if (i < text.length) {
    let eneg = false;
    let e: i32 = 0;
    for (i++; i < text.length; i++) {
      const c = <i32>text.charCodeAt(i);
      if (c == 0x2d) eneg = true;
      else if (c != 0x2b) e = min(e * 10 + c - 0x30, 400);
    }
    scale += eneg ? -e : e;
  }
  // Dividing by an exact power of ten rounds once, where repeated division would drift.
  let p: f64 = 1;
  if (scale > 0) { for (; scale > 0; scale--) p *= 10; mant *= p; }
  else if (scale < 0) { for (; scale < 0; scale++) p *= 10; mant /= p; }
  return neg ? -mant : mant;
}

@inline function isDigit(c: i32): bool { return <u32>(c - 0x30) < 10; }

/** Parses RFC 8259 JSON; null on error, with lastJsonError() naming the offset and problem. */
export function parseJson(source: string): JsonValue | null {
  base = changetype<usize>(source);   // `source` stays alive: no collection inside a callback
  len = source.length;
  pos = 0;
  err = null;
  jsonError = null;
  const v = value(0);
  if (v === null) { jsonError = err; return null; }
  if (ws() >= 0) { fail("unexpected text after the value"); jsonError = err; return null; }
  return v;
}
