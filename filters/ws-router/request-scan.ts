// One pass over the request headers as the host serialised them, without decoding what the
// filter does not need: the SDK's requestHeaders.all() would make a string of every key and
// value (about 20 allocations per request); here only the 7 values the handshake and the route
// read become strings (reused from the previous request when equal), keys are compared as
// bytes, and internal headers are found by bytes.
// This is the happy path's only read (the budget: <= 6 hostcalls and <= 2 us per request).
//
// Layout (spec abi-versions/v0.2.1 "Header maps"; proxy-wasm-cpp-host src/pairs_util.cc):
//   u32 count | count x (u32 key_len, u32 value_len) | count x (key \0 value \0)
import { freeBytes, rawPairsLength, requestHeaders } from "../../sdk";
import { foldAscii } from "../../sdk/ascii";
import { RouterConfig, INTERNAL_PREFIX } from "./config";
import { UpgradeHeaders } from "./handshake";

const K_PATH = String.UTF8.encode(":path");
const K_METHOD = String.UTF8.encode(":method");
const K_AUTHORITY = String.UTF8.encode(":authority");
const K_UPGRADE = String.UTF8.encode("upgrade");
const K_CONNECTION = String.UTF8.encode("connection");
const K_WS_KEY = String.UTF8.encode("sec-websocket-key");
const K_WS_VERSION = String.UTF8.encode("sec-websocket-version");
const K_INTERNAL_PREFIX = String.UTF8.encode(INTERNAL_PREFIX);

@inline
function equalsBytes(p: usize, n: usize, k: ArrayBuffer): bool {
  return n == <usize>k.byteLength && memory.compare(p, changetype<usize>(k), n) == 0;
}

/** `p[0..n)` starts with the lower-case ASCII bytes `k`, ignoring ASCII case. */
function startsWithFolded(p: usize, n: usize, k: ArrayBuffer): bool {
  const m = <usize>k.byteLength;
  if (n < m) return false;
  const kp = changetype<usize>(k);
  for (let i: usize = 0; i < m; i++) {
    if (foldAscii(<u32>load<u8>(p + i)) != <u32>load<u8>(kp + i)) return false;
  }
  return true;
}

/** UTF-8 bytes to a string. Header values are ASCII nearly always: widen them straight into a
 *  string of the exact size (String.UTF8.decodeUnsafe sizes for the worst case, then shrinks). */
function decode(p: usize, n: usize): string {
  if (n == 0) return "";
  const out = __new(n << 1, idof<string>());
  for (let i: usize = 0; i < n; i++) {
    const c = <u32>load<u8>(p + i);
    if (c >= 0x80) return String.UTF8.decodeUnsafe(p, n, false);
    store<u16>(out + (i << 1), <u16>c);
  }
  return changetype<string>(out);
}

/** `s` holds exactly the ASCII bytes p[0..n). */
function sameAscii(s: string, p: usize, n: usize): bool {
  if (<usize>s.length != n) return false;
  const sp = changetype<usize>(s);
  for (let i: usize = 0; i < n; i++) {
    const b = <u32>load<u8>(p + i);
    // Bytes >= 0x80 are UTF-8 sequences (or invalid): never equal to a code unit one by one.
    if (b >= 0x80 || <u32>load<u16>(sp + (i << 1)) != b) return false;
  }
  return true;
}

// Slots of the value cache: most values repeat from one upgrade to the next ("GET",
// "websocket", "Upgrade", "13", the same paths and hosts), so the previous string is reused
// when the bytes match and only new values allocate (in practice: the Sec-WebSocket-Key).
const SLOT_PATH = 0;
const SLOT_AUTHORITY = 1;
const SLOT_METHOD = 2;
const SLOT_UPGRADE = 3;
const SLOT_CONNECTION = 4;
const SLOT_VERSION = 5;
const SLOT_KEY = 6;

/** Writes one serialised pair (lengths at `lens`, bytes at `data`); returns the end of its bytes. */
function appendPair(lens: usize, data: usize, name: ArrayBuffer, value: ArrayBuffer): usize {
  const n = <usize>name.byteLength, v = <usize>value.byteLength;
  store<u32>(lens, <u32>n);
  store<u32>(lens, <u32>v, 4);
  memory.copy(data, changetype<usize>(name), n);
  store<u8>(data + n, 0);
  memory.copy(data + n + 1, changetype<usize>(value), v);
  store<u8>(data + n + 1 + v, 0);
  return data + n + v + 2;
}

@final
export class RequestScan {
  path: string = "";
  authority: string = "";
  readonly upgrade: UpgradeHeaders = new UpgradeHeaders();
  /** How many pairs the client sent under internal names (removed before routing). */
  internal: u32 = 0;
  private raw: usize = 0;
  private rawLen: usize = 0;
  private count: usize = 0;
  private cache: StaticArray<string> = new StaticArray<string>(7);

  constructor() {
    for (let i = 0; i < 7; i++) this.cache[i] = "";
  }

  private cached(slot: i32, p: usize, n: usize): string {
    const last = unchecked(this.cache[slot]);
    if (sameAscii(last, p, n)) return last;
    const s = decode(p, n);
    unchecked(this.cache[slot] = s);
    return s;
  }

  /** Reads the request headers (one hostcall). False when the host has no request headers. */
  read(config: RouterConfig): bool {
    this.path = "";
    this.authority = "";
    this.upgrade.reset();
    this.internal = 0;
    this.raw = requestHeaders.getRawPairs();
    this.rawLen = rawPairsLength();
    this.count = 0;
    if (this.raw == 0) return false;
    if (this.rawLen < 4) return true;
    const count = <usize>load<u32>(this.raw);
    // A count or lengths running past the buffer end the scan (the host is Envoy; stay safe).
    if (count > (this.rawLen - 4) / 8) return true;
    this.count = count;
    const h = this.upgrade;
    const end = this.raw + this.rawLen;
    let lens = this.raw + 4;
    let data = lens + 8 * count;
    for (let i: usize = 0; i < count; i++, lens += 8) {
      const kl = <usize>load<u32>(lens);
      const vl = <usize>load<u32>(lens, 4);
      if (kl + vl + 2 > end - data) { this.count = i; break; }
      const k = data;
      const v = data + kl + 1;
      data = v + vl + 1;
      switch (<i32>kl) {
        case 5:
          if (equalsBytes(k, kl, K_PATH)) { this.path = this.cached(SLOT_PATH, v, vl); continue; }
          break;
        case 7:
          if (equalsBytes(k, kl, K_METHOD)) { h.method = this.cached(SLOT_METHOD, v, vl); continue; }
          if (equalsBytes(k, kl, K_UPGRADE)) { h.upgrade = this.cached(SLOT_UPGRADE, v, vl); continue; }
          break;
        case 10:
          if (equalsBytes(k, kl, K_AUTHORITY)) { this.authority = this.cached(SLOT_AUTHORITY, v, vl); continue; }
          if (equalsBytes(k, kl, K_CONNECTION)) { h.connection = this.cached(SLOT_CONNECTION, v, vl); continue; }
          break;
        case 17:
          if (equalsBytes(k, kl, K_WS_KEY)) {
            if (h.key !== null) h.duplicateKey = true;
            h.key = this.cached(SLOT_KEY, v, vl);
            continue;
          }
          break;
        case 21:
          if (equalsBytes(k, kl, K_WS_VERSION)) {
            if (h.version !== null) h.duplicateVersion = true;
            h.version = this.cached(SLOT_VERSION, v, vl);
            continue;
          }
          break;
      }
      // Only counted here: a flood of internal names costs one bytes compare each, no string.
      if (this.isInternal(config, k, kl)) this.internal++;
    }
    return true;
  }

  private isInternal(config: RouterConfig, k: usize, kl: usize): bool {
    if (startsWithFolded(k, kl, K_INTERNAL_PREFIX)) return true;
    const names = config.internalNameBytes;
    for (let i = 0; i < names.length; i++) {
      const name = unchecked(names[i]);
      if (kl == <usize>name.byteLength && startsWithFolded(k, kl, name)) return true;
    }
    return false;
  }

  /** The first non-empty value of header `lowerName` (UTF-8 bytes) from the pairs read last. */
  value(lowerName: ArrayBuffer): string | null {
    const count = this.count;
    let lens = this.raw + 4;
    let data = lens + 8 * count;
    for (let i: usize = 0; i < count; i++, lens += 8) {
      const kl = <usize>load<u32>(lens);
      const vl = <usize>load<u32>(lens, 4);
      if (vl != 0 && kl == <usize>lowerName.byteLength && startsWithFolded(data, kl, lowerName)) {
        return decode(data + kl + 1, vl);
      }
      data += kl + vl + 2;
    }
    return null;
  }

  /**
   * Replaces the request headers with the pairs read, minus every internal one, plus (name1,
   * value1) and (name2, value2): one proxy_set_header_map_pairs (Envoy's setHeaderMapPairs,
   * which clears the route cache as a replace does), in time linear in the headers' size. A
   * removal per distinct name would cost a hostcall each, and each of Envoy's removals walks the
   * whole map: quadratic for a client that sends thousands of names.
   */
  replaceInternal(config: RouterConfig, name1: ArrayBuffer, value1: ArrayBuffer, name2: ArrayBuffer, value2: ArrayBuffer): void {
    const count = this.count;
    let kept: usize = 0;
    let bytes: usize = 0;
    let lens = this.raw + 4;
    let data = lens + 8 * count;
    for (let i: usize = 0; i < count; i++, lens += 8) {
      const kl = <usize>load<u32>(lens);
      const vl = <usize>load<u32>(lens, 4);
      if (!this.isInternal(config, data, kl)) { kept++; bytes += kl + vl + 2; }
      data += kl + vl + 2;
    }
    const n1 = <usize>name1.byteLength, v1 = <usize>value1.byteLength;
    const n2 = <usize>name2.byteLength, v2 = <usize>value2.byteLength;
    const total = 4 + 8 * (kept + 2) + bytes + n1 + v1 + n2 + v2 + 4;
    const out = heap.alloc(total);
    store<u32>(out, <u32>(kept + 2));
    let outLens = out + 4;
    let outData = outLens + 8 * (kept + 2);
    lens = this.raw + 4;
    data = lens + 8 * count;
    for (let i: usize = 0; i < count; i++, lens += 8) {
      const kl = <usize>load<u32>(lens);
      const vl = <usize>load<u32>(lens, 4);
      const n = kl + vl + 2;
      if (!this.isInternal(config, data, kl)) {
        store<u64>(outLens, load<u64>(lens));
        outLens += 8;
        memory.copy(outData, data, n);      // key \0 value \0, contiguous in both layouts
        outData += n;
      }
      data += n;
    }
    outData = appendPair(outLens, outData, name1, value1);
    appendPair(outLens + 8, outData, name2, value2);
    requestHeaders.setRawPairs(out, total);
    heap.free(out);
  }

  /** Frees the host's block; call once the request's headers are no longer needed. */
  release(): void {
    if (this.raw != 0) freeBytes(this.raw);
    this.raw = 0;
    this.rawLen = 0;
    this.count = 0;
  }
}
