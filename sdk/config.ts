// Plugin configuration read strictly: a ConfigReader over sdk/json's values rejects unknown keys,
// wrong types and missing required fields with an error naming the key path
// ("routes[2].cluster: expected string, got number").
//
// The one convention for a configuration error, in every filter: the filter's parse function
// returns its config or null; the reason is configError() (the first error any ConfigReader
// recorded since ConfigReader.parse / startConfig, or failConfig()'s for checks made outside a
// reader); onConfigure logs it with rejectConfiguration() and returns false, so Envoy refuses
// the plugin. Pure code except rejectConfiguration (one log hostcall).
import { i64s, u32s } from "./fmt";
import { JsonValue, lastJsonError, parseJson } from "./json";
import { LogLevel } from "./enums";
import { log } from "./log";

let lastError: string = "";

/** The first configuration error since the last startConfig() (ConfigReader.parse calls it);
 *  "" when none. */
export function configError(): string { return lastError; }

/** Starts a new parse: forgets the previous configuration error. ConfigReader.parse calls it; a
 *  filter that parses the JSON itself calls it first. */
export function startConfig(): void { lastError = ""; }

/** Records a configuration error found outside a ConfigReader, unless one is already recorded. */
export function failConfig(message: string): void {
  if (lastError.length == 0) lastError = message;
}

/** Logs `<rootName>: bad configuration: <error>` at Error and returns false, for onConfigure. */
export function rejectConfiguration(rootName: string, error: string = lastError): bool {
  log(LogLevel.Error, rootName + ": bad configuration: " + error);
  return false;
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
    startConfig();
    const v = parseJson(text);
    if (v === null) {
      const r = new ConfigReader(new JsonValue().asObject(), "");
      r.fail("configuration", "invalid JSON at " + changetype<string>(lastJsonError()));   // set whenever parseJson returns null
      return r;
    }
    return new ConfigReader(v, "");
  }

  /** The key path of a member: "key" at the top, "parent.key" below. */
  keyPath(key: string): string { return this.path == "" ? key : this.path + "." + key; }

  /** Records an error at `where` unless one is already recorded. */
  fail(where: string, message: string): void {
    if (this.sink.error === null) {
      const e = where + ": " + message;
      this.sink.error = e;
      failConfig(e);
    }
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
    if (!v.isInteger) { this.fail(this.keyPath(key), "expected integer, got " + v.text); return def; }
    const n = v.intValue;
    if (n < min || n > max) {
      this.fail(this.keyPath(key), "must be between " + i64s(min) + " and " + i64s(max) + ", got " + v.text);
      return def;
    }
    return n;
  }

  /** A number member (def when absent and not required). */
  number(key: string, required: bool, def: f64): f64 {
    const v = this.member(key, required);
    if (v === null) return def;
    if (!v.isNumber()) { this.typeError(key, "number", v); return def; }
    return v.toF64();
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
    const where = this.keyPath(key) + "[" + u32s(index) + "]";
    if (!item.isObject()) { this.fail(where, "expected object, got " + item.kindName()); return null; }
    return this.child(item, where);
  }

  /** A string item of array `key` (records an error naming "key[index]" when not a string). */
  elementString(key: string, index: i32, item: JsonValue): string {
    if (!item.isString()) {
      this.fail(this.keyPath(key) + "[" + u32s(index) + "]", "expected string, got " + item.kindName());
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
