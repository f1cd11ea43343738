// Shared by the ws-router host tests: the compiled module, its configuration and literal
// request headers of a valid upgrade (the RFC 6455 1.3 sample key).
import { existsSync, readFileSync, statSync, readdirSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { buildFilters } from "../../envoy-test/build.ts";
import type { HeaderList } from "../../envoy-test/host/index.ts";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const WASM = join(ROOT, "build/ws-router.wasm");
export const CONFIG = readFileSync(join(ROOT, "bench/fixtures/ws-router/config.json"), "utf8");

function newestSource(): number {
  let t = 0;
  for (const dir of ["filters/ws-router", "sdk", "sdk/websocket", "sdk/runtime"]) {
    const d = join(ROOT, dir);
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d)) if (f.endsWith(".ts")) t = Math.max(t, statSync(join(d, f)).mtimeMs);
  }
  return t;
}

/** Builds build/ws-router.wasm when it is missing or older than its sources. */
export async function ensureBuilt(): Promise<string> {
  if (!existsSync(WASM) || statSync(WASM).mtimeMs < newestSource()) await buildFilters(["ws-router"]);
  return WASM;
}

export function upgrade(path: string, authority = "wss-primary.slack.com", extra: HeaderList = []): HeaderList {
  return [
    [":method", "GET"],
    [":scheme", "https"],
    [":authority", authority],
    [":path", path],
    ["upgrade", "websocket"],
    ["connection", "Upgrade"],
    ["sec-websocket-version", "13"],
    ["sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="],
    ["user-agent", "ws-router-test"],
    ...extra,
  ];
}

/** Replaces (or with value null removes) one header of a list. */
export function withHeader(h: HeaderList, name: string, value: string | null): HeaderList {
  const out = h.filter(([k]) => k !== name);
  if (value !== null) out.push([name, value]);
  return out;
}

export function values(h: HeaderList, name: string): string[] {
  return h.filter(([k]) => k === name).map(([, v]) => v);
}
