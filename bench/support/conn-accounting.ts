// Shared by the conn-accounting host tests: the compiled module, its configurations, literal
// upgrade headers and RFC 6455 frames, and readers for stats and shared-data counts.
import { existsSync, readFileSync, statSync, readdirSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { buildFilters } from "../../envoy-test/build.ts";
import type { Host, HeaderList } from "../../envoy-test/host/index.ts";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const WASM = join(ROOT, "build/conn-accounting.wasm");
export const HTTP_CONFIG = readFileSync(join(ROOT, "bench/fixtures/conn-accounting/http.json"), "utf8");
export const TCP_CONFIG = readFileSync(join(ROOT, "bench/fixtures/conn-accounting/tcp.json"), "utf8");
export const VM_ID = "wss";

function newestSource(): number {
  let t = 0;
  for (const dir of ["filters/conn-accounting", "sdk", "sdk/websocket", "sdk/runtime"]) {
    const d = join(ROOT, dir);
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d)) if (f.endsWith(".ts")) t = Math.max(t, statSync(join(d, f)).mtimeMs);
  }
  return t;
}

/** Builds build/conn-accounting.wasm when it is missing or older than its sources. */
export async function ensureBuilt(): Promise<string> {
  if (!existsSync(WASM) || statSync(WASM).mtimeMs < newestSource()) await buildFilters(["conn-accounting"]);
  return WASM;
}

/** Request headers of a websocket upgrade as ws-router leaves them (x-wss-service set). */
export function upgrade(service: string | null, extra: HeaderList = []): HeaderList {
  const h: HeaderList = [
    [":method", "GET"],
    [":scheme", "http"],
    [":authority", "wss-primary.slack.com"],
    [":path", service ? `/${service}` : "/"],
    ["upgrade", "websocket"],
    ["connection", "Upgrade"],
    ["sec-websocket-version", "13"],
    ["sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="],
  ];
  if (service) h.push(["x-wss-service", service], ["x-wss-cluster", service]);
  return [...h, ...extra];
}

export const SWITCHING: HeaderList = [
  [":status", "101"],
  ["upgrade", "websocket"],
  ["connection", "Upgrade"],
  ["sec-websocket-accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="],
];

export const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, "").match(/../g)!.map((b) => parseInt(b, 16)));

// RFC 6455 5.7 examples.
/** A masked client text frame "Hello". */
export const CLIENT_HELLO = hex("81 85 37 fa 21 3d 7f 9f 4d 51 58");
/** An unmasked server text frame "Hello". */
export const SERVER_HELLO = hex("81 05 48 65 6c 6c 6f");
/** An unmasked server text "Hel" (FIN clear) then continuation "lo" (FIN set). */
export const SERVER_FRAGMENTED = hex("01 03 48 65 6c 80 02 6c 6f");
/** A 256-byte unmasked binary frame (16-bit extended length). */
export const SERVER_BINARY_256 = new Uint8Array([0x82, 0x7e, 0x01, 0x00, ...new Array(256).fill(0xab)]);

/** A process-wide stat the filter defines (Envoy prefixes wasmcustom.). */
export const stat = (host: Host, name: string): number => host.stats.get(`wasmcustom.${name}`) ?? 0;

/** The count stored under a shared-data key (i64 little-endian), 0 when absent. */
export function sharedCount(host: Host, key: string): number {
  const v = host.sharedData(VM_ID).get(key);
  if (!v) return 0;
  if (v.value.length !== 8) throw new Error(`shared data ${key}: ${v.value.length} bytes, expected 8`);
  return Number(new DataView(v.value.buffer, v.value.byteOffset, 8).getBigInt64(0, true));
}

export { prng } from "./prng.ts";
