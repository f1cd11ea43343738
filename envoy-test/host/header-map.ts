// Header-map semantics of Envoy's HeaderMapImpl (source/common/http/header_map_impl.cc), in one
// place for the hostcalls and the stream driver: keys are lower-case (Http::LowerCaseString; the
// codecs deliver them so), pseudo-headers stay ahead of regular headers, replace is remove + add.
import { asciiLower } from "./ascii.ts";
import { utf8Length } from "./codec.ts";
import type { HeaderList } from "./types.ts";

/** ASCII lower-case, as Http::LowerCaseString (ascii.ts); the string itself when already lower. */
export const lowerKey = asciiLower;

// Keys already found lower-case (strings are immutable, so membership stays true). The same few
// dozen header names come back on every request; a set lookup is cheaper than scanning them.
const LOWER_KEYS = new Set<string>();
const LOWER_KEYS_MAX = 4096;

function hasUpper(s: string): boolean {
  if (LOWER_KEYS.has(s)) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) return true;
  }
  if (LOWER_KEYS.size >= LOWER_KEYS_MAX) LOWER_KEYS.clear();
  LOWER_KEYS.add(s);
  return false;
}

/**
 * The list with keys lower-cased as Envoy's codecs deliver them: the caller's own array when it is
 * already lower-case (copied later, before the first change), else a lower-cased copy.
 */
export function lowerHeaders(h: HeaderList): HeaderList {
  let out: HeaderList | null = null;
  for (let i = 0; i < h.length; i++) {
    const k = h[i][0];
    if (hasUpper(k)) {
      out ??= h.slice();
      out[i] = [asciiLower(k), h[i][1]];
    }
  }
  return out ?? h;
}

/** HeaderMapImpl::addCopy (insertByKey): a pseudo-header (":x") goes after the last pseudo-header, others at the end. */
export function addHeader(map: HeaderList, key: string, value: string): void {
  if (key.charCodeAt(0) === 58 /* : */) {
    let i = 0;
    while (i < map.length && map[i][0].charCodeAt(0) === 58) i++;
    map.splice(i, 0, [key, value]);
  } else {
    map.push([key, value]);
  }
}

/** HeaderMapImpl::remove: every entry of the key goes. */
export function removeHeader(map: HeaderList, key: string): void {
  let w = 0;
  for (let r = 0; r < map.length; r++) if (map[r][0] !== key) map[w++] = map[r];
  map.length = w;
}

/**
 * HeaderMapImpl::setCopy in current Envoy: remove(key) then addCopy(key, value), so the header
 * moves to the end (of the pseudo-headers, for a pseudo-header) and duplicates go. Older Envoy
 * (before the http_set_copy_replace_all_headers runtime feature) overwrote the first entry in place.
 */
export function replaceHeader(map: HeaderList, key: string, value: string): void {
  removeHeader(map, key);
  addHeader(map, key, value);
}

/** HeaderMapImpl::get(key)[0]: the first value, or null. */
export function firstValue(map: HeaderList, key: string): string | null {
  for (let i = 0; i < map.length; i++) if (map[i][0] === key) return map[i][1];
  return null;
}

/** Replaces the whole map with pairs (Context::setHeaderMapPairs: remove every key, addCopy each pair). */
export function setPairs(map: HeaderList, pairs: HeaderList): void {
  map.length = 0;
  for (const [k, v] of pairs) addHeader(map, lowerKey(k), v);
}

/** HeaderMapImpl::byteSize: the sum of key and value lengths (what proxy_get_header_map_size returns). */
export function byteSize(map: HeaderList): number {
  let n = 0;
  for (let i = 0; i < map.length; i++) n += utf8Length(map[i][0]) + utf8Length(map[i][1]);
  return n;
}
