// The protoc-gen-validate (`validate.rules`) annotations Envoy enforces after parsing a config
// (MessageUtil::validate -> the generated Validate() of each message, source/common/protobuf/utility.h).
// Rules are read from the field options protobufjs parsed; only the kinds that matter for
// configuration mistakes are implemented: message.required, string lengths/prefix/pattern/header
// regexes, numeric and duration ranges, repeated and map sizes, enum defined_only.
// PGV semantics kept: proto3 scalars are checked even when absent (as their default value, so
// an absent `name` with min_len 1 fails), unless `ignore_empty`; members of a oneof and message
// fields are checked only when set.
import type protobuf from "protobufjs";

export type Rules = Record<string, any>;

/** Merges every `(validate.rules)` entry of a field's parsed options into one object. */
export function fieldRules(field: protobuf.Field): Rules | null {
  const parsed = (field as unknown as { parsedOptions?: Record<string, unknown>[] | null }).parsedOptions;
  if (!parsed) return null;
  let out: Rules | null = null;
  for (const entry of parsed) {
    const r = entry["(validate.rules)"];
    if (r && typeof r === "object") out = deepMerge(out ?? {}, r as Rules);
  }
  return out;
}

/** `option (validate.required) = true` on a oneof. */
export function oneofRequired(oneof: protobuf.OneOf): boolean {
  const o = oneof.options as Record<string, unknown> | undefined;
  if (o && o["(validate.required)"] === true) return true;
  const parsed = (oneof as unknown as { parsedOptions?: Record<string, unknown>[] | null }).parsedOptions;
  return !!parsed?.some((e) => e["(validate.required)"] === true);
}

function deepMerge(a: Rules, b: Rules): Rules {
  for (const [k, v] of Object.entries(b)) {
    if (v && typeof v === "object" && !Array.isArray(v) && a[k] && typeof a[k] === "object") a[k] = deepMerge(a[k], v);
    else a[k] = v;
  }
  return a;
}

export interface DurationValue { seconds: number; nanos: number }

export function durationNanos(d: DurationValue | Rules): number {
  return Number(d.seconds ?? 0) * 1e9 + Number(d.nanos ?? 0);
}

function fmtDuration(d: Rules): string {
  return `${durationNanos(d) / 1e9}s`;
}

/** Numeric comparisons shared by every numeric kind (int32..double, and wrappers of them). */
export function checkNumber(r: Rules, v: number, out: string[]): void {
  if (r.const !== undefined && v !== Number(r.const)) out.push(`value must equal ${r.const}`);
  const gt = r.gt !== undefined ? Number(r.gt) : undefined;
  const gte = r.gte !== undefined ? Number(r.gte) : undefined;
  const lt = r.lt !== undefined ? Number(r.lt) : undefined;
  const lte = r.lte !== undefined ? Number(r.lte) : undefined;
  const low = gt !== undefined ? v > gt : gte !== undefined ? v >= gte : true;
  const high = lt !== undefined ? v < lt : lte !== undefined ? v <= lte : true;
  if (!low || !high) {
    const parts: string[] = [];
    if (gt !== undefined) parts.push(`greater than ${gt}`);
    if (gte !== undefined) parts.push(`at least ${gte}`);
    if (lt !== undefined) parts.push(`less than ${lt}`);
    if (lte !== undefined) parts.push(`at most ${lte}`);
    out.push(`value ${v} out of range: must be ${parts.join(" and ")}`);
  }
  if (Array.isArray(r.in) && r.in.length && !r.in.map(Number).includes(v)) out.push(`value must be one of ${r.in.join(", ")}`);
  if (Array.isArray(r.not_in) && r.not_in.map(Number).includes(v)) out.push(`value must not be one of ${r.not_in.join(", ")}`);
}

// validate.proto KnownRegex; strict=false only forbids NUL, CR and LF (PGV's loose header check).
const HEADER_NAME = /^:?[0-9a-zA-Z!#$%&'*+\-.^_|~`]+$/;
const HEADER_VALUE = /^[^\u0000-\u0008\u000A-\u001F\u007F]*$/;
const LOOSE_HEADER = /^[^\u0000\n\r]*$/;

export function checkString(r: Rules, v: string, out: string[]): void {
  const chars = [...v].length;
  const bytes = Buffer.byteLength(v, "utf8");
  if (r.len !== undefined && chars !== Number(r.len)) out.push(`value length must be ${r.len} characters`);
  if (r.min_len !== undefined && chars < Number(r.min_len)) out.push(`value length must be at least ${r.min_len} characters`);
  if (r.max_len !== undefined && chars > Number(r.max_len)) out.push(`value length must be at most ${r.max_len} characters`);
  if (r.min_bytes !== undefined && bytes < Number(r.min_bytes)) out.push(`value length must be at least ${r.min_bytes} bytes`);
  if (r.max_bytes !== undefined && bytes > Number(r.max_bytes)) out.push(`value length must be at most ${r.max_bytes} bytes`);
  if (r.const !== undefined && v !== r.const) out.push(`value must equal "${r.const}"`);
  if (r.prefix !== undefined && !v.startsWith(r.prefix)) out.push(`value must start with "${r.prefix}"`);
  if (r.suffix !== undefined && !v.endsWith(r.suffix)) out.push(`value must end with "${r.suffix}"`);
  if (r.contains !== undefined && !v.includes(r.contains)) out.push(`value must contain "${r.contains}"`);
  if (Array.isArray(r.in) && r.in.length && !r.in.includes(v)) out.push(`value must be one of ${r.in.map((s: string) => `"${s}"`).join(", ")}`);
  if (r.pattern !== undefined) {
    let re: RegExp | null = null;
    try { re = new RegExp(r.pattern, "u"); } catch { /* RE2 syntax JS lacks: skip */ }
    if (re && !re.test(v)) out.push(`value does not match regex pattern "${r.pattern}"`);
  }
  if (r.well_known_regex !== undefined && v !== "") {
    const strict = r.strict !== false;
    const name = String(r.well_known_regex);
    const re = !strict ? LOOSE_HEADER : name === "HTTP_HEADER_NAME" || name === "1" ? HEADER_NAME : name === "HTTP_HEADER_VALUE" || name === "2" ? HEADER_VALUE : null;
    if (re && !re.test(v)) out.push(`value is not a valid ${name === "2" || name === "HTTP_HEADER_VALUE" ? "header value" : "header name"}`);
  }
}

export function checkDuration(r: Rules, d: DurationValue, out: string[]): void {
  const n = durationNanos(d);
  const bound = (k: string) => (r[k] !== undefined ? durationNanos(r[k]) : undefined);
  const gt = bound("gt"), gte = bound("gte"), lt = bound("lt"), lte = bound("lte");
  if (r.const !== undefined && n !== durationNanos(r.const)) out.push(`value must equal ${fmtDuration(r.const)}`);
  const low = gt !== undefined ? n > gt : gte !== undefined ? n >= gte : true;
  const high = lt !== undefined ? n < lt : lte !== undefined ? n <= lte : true;
  if (!low || !high) {
    const parts: string[] = [];
    if (r.gt !== undefined) parts.push(`greater than ${fmtDuration(r.gt)}`);
    if (r.gte !== undefined) parts.push(`at least ${fmtDuration(r.gte)}`);
    if (r.lt !== undefined) parts.push(`less than ${fmtDuration(r.lt)}`);
    if (r.lte !== undefined) parts.push(`at most ${fmtDuration(r.lte)}`);
    out.push(`duration ${n / 1e9}s out of range: must be ${parts.join(" and ")}`);
  }
}

/** The PGV rule kind that applies to a protobuf scalar type name. */
export const NUMERIC_RULE_KIND: Record<string, string> = {
  double: "double", float: "float", int32: "int32", int64: "int64", uint32: "uint32", uint64: "uint64",
  sint32: "sint32", sint64: "sint64", fixed32: "fixed32", fixed64: "fixed64", sfixed32: "sfixed32", sfixed64: "sfixed64",
};
