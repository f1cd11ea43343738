// Strict reader over a parsed Envoy YAML/JSON value. Every object field must be consumed by the
// config model; anything left over is refused with its path, because a field the local gateway
// silently ignored would make a test pass locally and behave differently in Envoy.
//
// Envoy accepts both the proto field name (snake_case) and its JSON name (lowerCamelCase)
// (protobuf JSON mapping, used by Envoy's MessageUtil::loadFromYaml), so both spellings resolve.

import { writtenKey } from "../config/fields.ts";
import { durationNanos } from "../config/rules.ts";
import { parseDuration as parseProtoDuration } from "../config/schema.ts";

/** Thrown when the gateway refuses a bootstrap (or EDS file) field; `path` is the YAML path. */
export class BootstrapError extends Error {
  constructor(readonly path: string, readonly reason: string) {
    super(`${path}: ${reason}`);
    this.name = "BootstrapError";
  }
}

export const UNSUPPORTED = "not supported by the local gateway; it runs in Envoy";


export class YamlObject {
  private readonly used = new Set<string>();
  constructor(readonly value: Record<string, unknown>, readonly path: string) {}

  static of(value: unknown, path: string): YamlObject {
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new BootstrapError(path, `expected an object, got ${describe(value)}`);
    }
    return new YamlObject(value as Record<string, unknown>, path);
  }

  /** The key as written (snake_case or camelCase), or undefined when absent. */
  private keyOf(field: string): string | undefined {
    return writtenKey(this.value, field);
  }

  has(field: string): boolean { return this.keyOf(field) !== undefined; }

  at(field: string): string {
    return `${this.path}.${this.keyOf(field) ?? field}`;
  }

  raw(field: string): unknown {
    const k = this.keyOf(field);
    if (k === undefined) return undefined;
    this.used.add(k);
    return this.value[k];
  }

  obj(field: string): YamlObject | undefined {
    const v = this.raw(field);
    return v === undefined || v === null ? undefined : YamlObject.of(v, this.at(field));
  }

  reqObj(field: string): YamlObject {
    const o = this.obj(field);
    if (!o) throw new BootstrapError(this.at(field), "required field is missing");
    return o;
  }

  list(field: string): { value: unknown; path: string }[] {
    const v = this.raw(field);
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw new BootstrapError(this.at(field), `expected a list, got ${describe(v)}`);
    return v.map((value, i) => ({ value, path: `${this.at(field)}[${i}]` }));
  }

  objList(field: string): YamlObject[] {
    return this.list(field).map((e) => YamlObject.of(e.value, e.path));
  }

  str(field: string): string | undefined {
    const v = this.raw(field);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "string") throw new BootstrapError(this.at(field), `expected a string, got ${describe(v)}`);
    return v;
  }

  reqStr(field: string): string {
    const s = this.str(field);
    if (s === undefined || s === "") throw new BootstrapError(this.at(field), "required field is missing");
    return s;
  }

  strList(field: string): string[] {
    return this.list(field).map((e) => {
      if (typeof e.value !== "string") throw new BootstrapError(e.path, `expected a string, got ${describe(e.value)}`);
      return e.value;
    });
  }

  /** Integers may arrive as strings (protobuf JSON encodes 64-bit ints that way). */
  int(field: string): number | undefined {
    const v = this.raw(field);
    if (v === undefined || v === null) return undefined;
    const n = typeof v === "string" && /^-?\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== "number" || !Number.isInteger(n)) throw new BootstrapError(this.at(field), `expected an integer, got ${describe(v)}`);
    return n;
  }

  bool(field: string): boolean | undefined {
    const v = this.raw(field);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "boolean") throw new BootstrapError(this.at(field), `expected true or false, got ${describe(v)}`);
    return v;
  }

  /** google.protobuf.Duration: "1.5s" in YAML/JSON, or {seconds, nanos}. Returns milliseconds. */
  durationMs(field: string): number | undefined {
    const v = this.raw(field);
    if (v === undefined || v === null) return undefined;
    return parseDuration(v, this.at(field));
  }

  /** google.protobuf.UInt32Value / DoubleValue wrappers: a bare number or {value}. */
  wrapped(field: string): number | undefined {
    return this.unwrap(field, "number");
  }

  /** google.protobuf.BoolValue: a bare boolean or {value} (protobuf JSON mapping of wrappers). */
  wrappedBool(field: string): boolean | undefined {
    return this.unwrap(field, "boolean");
  }

  private unwrap<K extends "number" | "boolean">(field: string, kind: K): (K extends "number" ? number : boolean) | undefined {
    type T = K extends "number" ? number : boolean;
    const v = this.raw(field);
    if (v === undefined || v === null) return undefined;
    if (typeof v === kind) return v as T;
    const o = YamlObject.of(v, this.at(field));
    const n = o.raw("value");
    o.done();
    if (typeof n !== kind) throw new BootstrapError(o.at("value"), `expected a ${kind}, got ${describe(n)}`);
    return n as T;
  }

  /** Enum given by name (protobuf JSON) — the names are checked against `allowed`. */
  enumName<T extends string>(field: string, allowed: readonly T[], dflt: T): T {
    const v = this.raw(field);
    if (v === undefined || v === null) return dflt;
    // Envoy parses enums by name case-insensitively (yaml_utility.cc: case_insensitive_enum_parsing).
    if (typeof v === "string") {
      const hit = allowed.find((a) => a === v.toUpperCase());
      if (hit !== undefined) return hit;
    }
    throw new BootstrapError(this.at(field), `${JSON.stringify(v)} is ${UNSUPPORTED} (supported here: ${allowed.join(", ")})`);
  }

  /** Marks a field as known and deliberately without effect here (documented in docs/gateway.md). */
  ignore(...fields: string[]): void { for (const f of fields) this.raw(f); }

  /** Refuses every field nobody consumed. */
  done(): void {
    for (const k of Object.keys(this.value)) {
      if (!this.used.has(k)) throw new BootstrapError(`${this.path}.${k}`, UNSUPPORTED);
    }
  }
}

export function parseDuration(v: unknown, path: string): number {
  if (typeof v === "string") {
    // The proto3 JSON Duration form, read by the config validator's parser (config/schema.ts).
    const d = parseProtoDuration(v.trim());
    if (!d) throw new BootstrapError(path, `expected a duration like "5s" or "0.250s", got ${JSON.stringify(v)}`);
    return Math.round(durationNanos(d) / 1e6);
  }
  if (v && typeof v === "object" && !Array.isArray(v)) {
    const o = YamlObject.of(v, path);
    const s = o.int("seconds") ?? 0;
    const ns = o.int("nanos") ?? 0;
    o.done();
    return s * 1000 + Math.round(ns / 1e6);
  }
  throw new BootstrapError(path, `expected a duration like "5s", got ${describe(v)}`);
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "an object";
  return `${typeof v} ${JSON.stringify(v)}`;
}
