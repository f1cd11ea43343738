// Reading parsed config objects whose keys may be proto names or their lowerCamelCase json
// names (Envoy accepts both: protobuf's JSON parser matches either).

export type Obj = Record<string, any>;

/** protoc's ToJsonName: drop underscores, upper-case the letter after each. The one snake/camel
 *  mapping of envoy-test (validator, gateway reader). */
export function jsonName(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase()).replace(/_/g, "");
}

/** The key `name` is written under in `obj` (its proto name or json name), whatever its value. */
export function writtenKey(obj: Obj, name: string): string | undefined {
  if (name in obj) return name;
  const j = jsonName(name);
  return j in obj ? j : undefined;
}

/** The field's value under its proto name or json name, and the key it was written with. */
export function field(obj: Obj | undefined | null, name: string): { value: any; key: string } | undefined {
  if (!obj || typeof obj !== "object") return undefined;
  if (obj[name] !== undefined && obj[name] !== null) return { value: obj[name], key: name };
  const j = jsonName(name);
  if (obj[j] !== undefined && obj[j] !== null) return { value: obj[j], key: j };
  return undefined;
}

export function get(obj: Obj | undefined | null, name: string): any {
  return field(obj, name)?.value;
}

/** Follows a dotted list of proto field names; returns the value and the YAML path it was read from. */
export function dig(obj: Obj | undefined | null, path: string, names: string[]): { value: any; path: string } | undefined {
  let cur: any = obj;
  let p = path;
  for (const n of names) {
    const f = field(cur, n);
    if (!f) return undefined;
    cur = f.value;
    p = p ? `${p}.${f.key}` : f.key;
  }
  return { value: cur, path: p };
}
