// Checks a parsed YAML/JSON config against Envoy's v3 protos the way Envoy loads it:
// MessageUtil::loadFromYaml (source/common/protobuf/yaml_utility.cc) turns the YAML into a
// google.protobuf.Value, prints it as JSON and parses that with protobuf's JSON parser
// (JsonStringToMessage, ignore_unknown_fields=false, case_insensitive_enum_parsing=true;
// protobuf src/google/protobuf/json/internal/parser.cc, without allow_legacy_syntax), so
// the proto3 JSON mapping decides what is accepted: field names in proto or lowerCamelCase form,
// int64 as number or string, enums by name or number, Duration as "1.5s", wrappers as their bare
// value, Any as {"@type": ..., fields...}. Unknown fields are fatal for a static bootstrap
// (ProtobufMessage::StrictValidationVisitorImpl::onUnknownField). Then the validate.rules of every
// message are checked (rules.ts).
import type protobuf from "protobufjs";
import {
  checkDuration, checkNumber, checkString, fieldRules, NUMERIC_RULE_KIND, oneofRequired,
  type DurationValue, type Rules,
} from "./rules.ts";
import { jsonName } from "./fields.ts";

/** One finding of the validator (an error or a warning): the YAML path at fault and what is wrong. */
export interface ConfigProblem { path: string; message: string }
/** A message of an interesting type met during the walk, for the checks beyond the schema. */
export interface Visit { type: string; path: string; value: Record<string, any> }

type PbType = protobuf.Type;
type PbEnum = protobuf.Enum;

const WRAPPERS: Record<string, string> = {
  "google.protobuf.DoubleValue": "double", "google.protobuf.FloatValue": "float",
  "google.protobuf.Int64Value": "int64", "google.protobuf.UInt64Value": "uint64",
  "google.protobuf.Int32Value": "int32", "google.protobuf.UInt32Value": "uint32",
  "google.protobuf.BoolValue": "bool", "google.protobuf.StringValue": "string",
  "google.protobuf.BytesValue": "bytes",
};
/** Types whose JSON form is not an object: inside an Any they sit under "value". */
const SPECIAL_JSON = new Set([
  ...Object.keys(WRAPPERS), "google.protobuf.Duration", "google.protobuf.Timestamp",
  "google.protobuf.FieldMask", "google.protobuf.Struct", "google.protobuf.Value",
  "google.protobuf.ListValue", "google.protobuf.Any",
]);

const TYPED_STRUCTS = new Set(["xds.type.v3.TypedStruct", "udpa.type.v1.TypedStruct"]);


function fullName(t: protobuf.ReflectionObject): string {
  return t.fullName.replace(/^\./, "");
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  if (typeof v === "string") return `string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + "..." : v)}`;
  return `${typeof v} ${String(v)}`;
}

function key(path: string, k: string): string {
  const part = /^[A-Za-z_@][A-Za-z0-9_@]*$/.test(k) ? k : JSON.stringify(k);
  return path ? (part.startsWith('"') ? `${path}[${part}]` : `${path}.${part}`) : part;
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length][b.length];
}

interface FieldIndex { byKey: Map<string, protobuf.Field>; names: string[] }
const indexCache = new WeakMap<PbType, FieldIndex>();
function fieldIndex(t: PbType): FieldIndex {
  let idx = indexCache.get(t);
  if (!idx) {
    const byKey = new Map<string, protobuf.Field>();
    for (const f of t.fieldsArray) {
      byKey.set(f.name, f);
      byKey.set(jsonName(f.name), f);
    }
    idx = { byKey, names: t.fieldsArray.map((f) => f.name) };
    indexCache.set(t, idx);
  }
  return idx;
}

const INT_RANGES: Record<string, [bigint, bigint]> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n], sint32: [-(2n ** 31n), 2n ** 31n - 1n], sfixed32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n], fixed32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n], sint64: [-(2n ** 63n), 2n ** 63n - 1n], sfixed64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n], fixed64: [0n, 2n ** 64n - 1n],
};
const MAX_DURATION_SECONDS = 315576000000;

export class SchemaChecker {
  readonly errors: ConfigProblem[] = [];
  readonly warnings: ConfigProblem[] = [];
  readonly visits: Visit[] = [];

  /** `lookup` gives a message type by full name, or null (protos.ts lookupEnvoyType). */
  constructor(readonly lookup: (name: string) => PbType | null, readonly watch: Set<string> = new Set()) {}

  private err(path: string, message: string): void {
    this.errors.push({ path, message });
  }

  /** Resolves a type URL the way protobuf's JSON parser does: the name after the last "/". */
  lookupTypeUrl(url: string): PbType | null {
    const name = url.slice(url.lastIndexOf("/") + 1);
    if (!name || !url.includes("/")) return null;
    return this.lookup(name);
  }

  checkMessage(t: PbType, value: unknown, path: string): void {
    const name = fullName(t);
    if (name in WRAPPERS || SPECIAL_JSON.has(name) || name === "google.protobuf.Empty") {
      this.checkWellKnown(t, value, path);
      return;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      this.err(path, `expected a mapping for ${name}, got ${describe(value)}`);
      return;
    }
    const obj = value as Record<string, unknown>;
    if (this.watch.has(name)) this.visits.push({ type: name, path, value: obj as Record<string, any> });
    const idx = fieldIndex(t);
    const seen = new Map<protobuf.Field, string>();
    for (const [k, v] of Object.entries(obj)) {
      const f = idx.byKey.get(k);
      const p = key(path, k);
      if (!f) {
        let best = "", bestD = Infinity;
        for (const n of idx.names) {
          const d = Math.min(editDistance(k, n), editDistance(k, jsonName(n)));
          if (d < bestD) { bestD = d; best = n; }
        }
        const hint = bestD <= Math.max(2, Math.floor(k.length / 4)) ? ` (did you mean "${best}"?)` : "";
        this.err(p, `unknown field "${k}" in ${name}${hint}`);
        continue;
      }
      if (seen.has(f)) {
        this.err(p, `field ${f.name} is set twice (as "${seen.get(f)}" and "${k}")`);
        continue;
      }
      seen.set(f, k);
      const fo = f.options as Record<string, unknown> | undefined;
      if (fo?.deprecated === true) {
        // Envoy accepts deprecated fields with a warning and counts runtime.deprecated_feature_use
        // (source/common/protobuf/utility.cc, deprecation checks of MessageUtil::checkForUnexpectedFields).
        this.warnings.push({ path: p, message: `${name}.${f.name} is deprecated${fo["(envoy.annotations.deprecated_at_minor_version)"] ? ` since API ${fo["(envoy.annotations.deprecated_at_minor_version)"]}` : ""}` });
      }
      if (v === null && fullName(f.resolvedType ?? t) !== "google.protobuf.Value") continue; // JSON null: unset
      this.checkField(f, v, p);
    }
    // Oneofs: at most one member; (validate.required) wants exactly one.
    for (const o of t.oneofsArray) {
      const set = o.fieldsArray.filter((f) => seen.has(f) && obj[seen.get(f)!] !== null);
      if (set.length > 1) {
        const shown = set.map((f) => seen.get(f)!);
        this.err(key(path, shown[1]), `oneof ${o.name}: only one of ${shown.join(", ")} may be set`);
      } else if (set.length === 0 && oneofRequired(o)) {
        this.err(path, `${name}: one of ${o.fieldsArray.map((f) => f.name).join(", ")} is required (oneof ${o.name})`);
      }
    }
    // validate.rules on absent fields (proto3 scalar defaults, required messages, empty repeated).
    for (const f of t.fieldsArray) {
      if (seen.has(f) && obj[seen.get(f)!] !== null) continue;
      const rules = fieldRules(f);
      if (!rules) continue;
      const p = key(path, f.name);
      if (f.repeated || f.map) {
        const r = f.map ? rules.map : rules.repeated;
        if (r && Number(r.min_items ?? r.min_pairs ?? 0) > 0 && !r.ignore_empty) {
          this.err(p, `value must contain at least ${r.min_items ?? r.min_pairs} item(s)`);
        }
        continue;
      }
      if (f.partOf) continue; // PGV checks only the member that is set
      if (rules.message?.required) { this.err(p, `value is required`); continue; }
      for (const kind of ["duration", "any", "timestamp"]) {
        if (rules[kind]?.required) this.err(p, `value is required`);
      }
      if (!f.resolvedType) this.applyScalarRules(f.type, rules, f.type === "string" || f.type === "bytes" ? "" : f.type === "bool" ? false : 0, p, true);
    }
  }

  private checkField(f: protobuf.Field, v: unknown, path: string): void {
    const rules = fieldRules(f);
    if (f.map) {
      if (typeof v !== "object" || Array.isArray(v)) { this.err(path, `expected a mapping, got ${describe(v)}`); return; }
      const entries = Object.entries(v as object);
      if (rules?.map?.min_pairs !== undefined && entries.length < Number(rules.map.min_pairs)) {
        this.err(path, `value must contain at least ${rules.map.min_pairs} pair(s)`);
      }
      const keyType = (f as unknown as protobuf.MapField).keyType;
      for (const [k, item] of entries) {
        const p = key(path, k);
        if (keyType !== "string" && keyType !== "bool" && !/^-?\d+$/.test(k)) this.err(p, `map key "${k}" is not a ${keyType}`);
        this.checkSingle(f, item, p, rules?.map?.values ?? null);
      }
      return;
    }
    if (f.repeated) {
      if (!Array.isArray(v)) { this.err(path, `expected a list, got ${describe(v)}`); return; }
      const r = rules?.repeated;
      if (r && !(r.ignore_empty && v.length === 0)) {
        if (r.min_items !== undefined && v.length < Number(r.min_items)) this.err(path, `value must contain at least ${r.min_items} item(s)`);
        if (r.max_items !== undefined && v.length > Number(r.max_items)) this.err(path, `value must contain at most ${r.max_items} item(s)`);
      }
      v.forEach((item, i) => {
        const fn = f.resolvedType ? fullName(f.resolvedType) : f.type;
        if (item === null && fn !== "google.protobuf.Value" && fn !== "google.protobuf.NullValue") {
          this.err(`${path}[${i}]`, "null cannot occur inside a list");
        } else this.checkSingle(f, item, `${path}[${i}]`, r?.items ?? null);
      });
      return;
    }
    this.checkSingle(f, v, path, rules);
  }

  private checkSingle(f: protobuf.Field, v: unknown, path: string, rules: Rules | null): void {
    const rt = f.resolvedType;
    if (rt && (rt as PbEnum).values !== undefined && !(rt as PbType).fieldsArray) {
      this.checkEnum(rt as PbEnum, v, path, rules?.enum ?? null);
      return;
    }
    if (rt) {
      const t = rt as PbType;
      const tn = fullName(t);
      const before = this.errors.length;
      this.checkMessage(t, v, path);
      if (!rules || this.errors.length !== before) return;
      if (tn === "google.protobuf.Duration" && rules.duration && typeof v === "string") {
        const out: string[] = [];
        checkDuration(rules.duration, parseDuration(v)!, out);
        for (const m of out) this.err(path, m);
      } else if (tn in WRAPPERS) {
        this.applyScalarRules(WRAPPERS[tn], rules, v, path, false);
      } else if (tn === "google.protobuf.Any" && Array.isArray(rules.any?.in) && rules.any.in.length) {
        const url = (v as Record<string, unknown>)["@type"];
        if (!rules.any.in.includes(url)) this.err(key(path, "@type"), `type must be one of ${rules.any.in.join(", ")}`);
      }
      return;
    }
    if (this.checkScalar(f.type, v, path)) this.applyScalarRules(f.type, rules, v, path, false);
  }

  private applyScalarRules(type: string, rules: Rules | null, v: unknown, path: string, absent: boolean): void {
    if (!rules) return;
    const out: string[] = [];
    if (type === "string" && rules.string) {
      if (!(rules.string.ignore_empty && v === "")) checkString(rules.string, String(v), out);
    } else if (type === "bytes" && rules.bytes) {
      const len = absent ? 0 : Buffer.from(String(v), "base64").length;
      if (rules.bytes.min_len !== undefined && len < Number(rules.bytes.min_len)) out.push(`value length must be at least ${rules.bytes.min_len} bytes`);
    } else if (NUMERIC_RULE_KIND[type] && rules[NUMERIC_RULE_KIND[type]]) {
      const r = rules[NUMERIC_RULE_KIND[type]];
      const n = Number(v);
      if (!(r.ignore_empty && n === 0)) checkNumber(r, n, out);
    } else if (type === "bool" && rules.bool?.const !== undefined && v !== rules.bool.const) {
      out.push(`value must equal ${rules.bool.const}`);
    }
    for (const m of out) this.err(path, m);
  }

  /** proto3 JSON scalar forms; returns true when the value has the right form. */
  private checkScalar(type: string, v: unknown, path: string): boolean {
    if (type === "string") {
      if (typeof v !== "string") {
        this.err(path, `expected a string, got ${describe(v)} (quote it in YAML)`);
        return false;
      }
      return true;
    }
    if (type === "bool") {
      if (typeof v !== "boolean") { this.err(path, `expected true or false, got ${describe(v)}`); return false; }
      return true;
    }
    if (type === "bytes") {
      if (typeof v !== "string" || !/^[A-Za-z0-9+/\-_]*={0,2}$/.test(v)) {
        this.err(path, `expected base64 bytes, got ${describe(v)}`);
        return false;
      }
      return true;
    }
    if (type === "double" || type === "float") {
      if (typeof v === "number") return true;
      if (typeof v === "string" && (/^(NaN|-?Infinity)$/.test(v) || (v.trim() !== "" && Number.isFinite(Number(v))))) return true;
      this.err(path, `expected a number (${type}), got ${describe(v)}`);
      return false;
    }
    const range = INT_RANGES[type];
    if (range) {
      // protobuf's JSON parser (json/internal/parser.cc ParseIntInner): a number or a string,
      // read as an integer, else as a double without fractional part; no whitespace in strings.
      let n: bigint | null = null;
      if (typeof v === "number" && Number.isInteger(v)) n = BigInt(v);
      else if (typeof v === "string" && /^[-+]?\d+$/.test(v)) n = BigInt(v);
      else if (typeof v === "string" && /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(v) && Number.isInteger(Number(v))) n = BigInt(Number(v));
      if (n === null) { this.err(path, `expected an integer (${type}), got ${describe(v)}`); return false; }
      if (n < range[0] || n > range[1]) { this.err(path, `value ${n} out of range for ${type} (${range[0]}..${range[1]})`); return false; }
      return true;
    }
    this.err(path, `unsupported field type ${type}`);
    return false;
  }

  private checkEnum(e: PbEnum, v: unknown, path: string, rules: Rules | null): void {
    const name = fullName(e);
    if (name === "google.protobuf.NullValue") return;
    let num: number | undefined;
    if (typeof v === "number" && Number.isInteger(v)) {
      num = v;
    } else if (typeof v === "string") {
      // case_insensitive_enum_parsing: protobuf retries the upper-cased name; a numeric string is
      // taken as the number (json/internal/parser.cc ParseEnumFromStr).
      // (protobufjs's values object inherits valuesById: own properties only.)
      const byName = (k: string) => (Object.hasOwn(e.values, k) ? e.values[k] : undefined);
      num = byName(v) ?? byName(v.toUpperCase()) ?? (/^-?\d+$/.test(v) ? Number(v) : undefined);
      if (num === undefined) {
        this.err(path, `unknown ${name} value "${v}" (one of ${Object.keys(e.values).join(", ")})`);
        return;
      }
    } else {
      this.err(path, `expected a ${name} name or number, got ${describe(v)}`);
      return;
    }
    if (rules?.defined_only && !Object.values(e.values).includes(num)) {
      this.err(path, `value ${num} is not a defined ${name} (one of ${Object.keys(e.values).join(", ")})`);
      return;
    }
    if (rules && Array.isArray(rules.in) && rules.in.length && !rules.in.includes(num)) this.err(path, `value must be one of ${rules.in.join(", ")}`);
    if (rules && Array.isArray(rules.not_in) && rules.not_in.includes(num)) this.err(path, `value must not be one of ${rules.not_in.join(", ")}`);
  }

  private checkWellKnown(t: PbType, v: unknown, path: string): void {
    const name = fullName(t);
    if (name in WRAPPERS) {
      this.checkScalar(WRAPPERS[name], v, path);
      return;
    }
    switch (name) {
      case "google.protobuf.Duration":
        if (typeof v !== "string" || !parseDuration(v)) {
          this.err(path, `expected a Duration like "1.5s" or "0.250s", got ${describe(v)}`);
        }
        return;
      case "google.protobuf.Timestamp":
        if (typeof v !== "string" || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/.test(v)) {
          this.err(path, `expected an RFC 3339 timestamp like "2024-07-01T00:00:00Z", got ${describe(v)}`);
        }
        return;
      case "google.protobuf.FieldMask":
        // JSON field masks are camelCase paths: no underscores (parser.cc ParseFieldMask).
        if (typeof v !== "string" || !/^[A-Za-z0-9.,]*$/.test(v)) this.err(path, `expected a field mask string of camelCase paths like "a.bC,d", got ${describe(v)}`);
        return;
      case "google.protobuf.Struct":
        if (v === null || typeof v !== "object" || Array.isArray(v)) this.err(path, `expected a mapping (google.protobuf.Struct), got ${describe(v)}`);
        return;
      case "google.protobuf.ListValue":
        if (!Array.isArray(v)) this.err(path, `expected a list (google.protobuf.ListValue), got ${describe(v)}`);
        return;
      case "google.protobuf.Value":
        return; // any JSON value
      case "google.protobuf.Empty":
        if (v === null || typeof v !== "object" || Array.isArray(v) || Object.keys(v).length) this.err(path, `expected an empty mapping {}, got ${describe(v)}`);
        return;
      case "google.protobuf.Any":
        this.checkAny(v, path);
        return;
    }
  }

  private checkAny(v: unknown, path: string): void {
    if (v === null || typeof v !== "object" || Array.isArray(v)) {
      this.err(path, `expected a mapping with "@type" (google.protobuf.Any), got ${describe(v)}`);
      return;
    }
    const obj = v as Record<string, unknown>;
    const url = obj["@type"];
    const tp = key(path, "@type");
    if (typeof url !== "string" || !url) {
      this.err(tp, `missing "@type" (e.g. "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router")`);
      return;
    }
    const t = this.lookupTypeUrl(url);
    if (!t) {
      this.err(tp, `unknown type "${url}": not a message in Envoy's v3 API (July 2024 protos)`);
      return;
    }
    const inner = fullName(t);
    if (SPECIAL_JSON.has(inner)) {
      const extra = Object.keys(obj).filter((k) => k !== "@type" && k !== "value");
      for (const k of extra) this.err(key(path, k), `unknown field "${k}" in Any of ${inner} (its value goes under "value")`);
      if (!("value" in obj)) { this.err(key(path, "value"), `missing "value" for ${inner}`); return; }
      this.checkMessage(t, obj.value, key(path, "value"));
      return;
    }
    const rest: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(obj)) if (k !== "@type") rest[k] = x;
    const before = this.errors.length;
    this.checkMessage(t, rest, path);
    if (this.errors.length === before && TYPED_STRUCTS.has(inner)) this.checkTypedStruct(rest, path);
  }

  /** A TypedStruct stands for the message its type_url names, written as a Struct; Envoy converts
   *  it to that message (source/common/config/utility.cc translateOpaqueConfig), so its value is
   *  checked as that message. */
  private checkTypedStruct(obj: Record<string, unknown>, path: string): void {
    const url = obj.type_url ?? obj.typeUrl;
    if (typeof url !== "string" || !url) return;
    const t = this.lookupTypeUrl(url);
    const key_ = "type_url" in obj ? "type_url" : "typeUrl";
    if (!t) { this.err(key(path, key_), `unknown type "${url}": not a message in Envoy's v3 API (July 2024 protos)`); return; }
    this.checkMessage(t, obj.value ?? {}, key(path, "value"));
  }
}

/** Parses the proto3 JSON Duration form ("1s", "-0.5s", "1.000000001s"); null when malformed or out of range. */
export function parseDuration(s: string): DurationValue | null {
  const m = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/.exec(s);
  if (!m) return null;
  const seconds = Number(m[2]);
  if (seconds > MAX_DURATION_SECONDS) return null;
  const nanos = m[3] ? Number(m[3].padEnd(9, "0")) : 0;
  const sign = m[1] ? -1 : 1;
  return { seconds: sign * seconds, nanos: sign * nanos };
}
