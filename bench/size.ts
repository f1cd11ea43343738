// Module size, raw and gzip (level 9): add-header next to the peers and the floor, and each of
// our filters. Targets: add-header <= 0.7x proxy-runtime's raw size; every filter <= 48 KiB.
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { ratio, table, target, type Target } from "./lib.ts";
import type { AddHeaderModule } from "./peers.ts";

const FILTERS = ["add-header", "ws-router", "conn-accounting", "drain-signal"];

export function sizes(mods: AddHeaderModule[]): { addHeader: Record<string, { raw: number; gzip: number } | null>; filters: Record<string, { raw: number; gzip: number }>; targets: Target[] } {
  const sz = (b: Uint8Array): { raw: number; gzip: number } => ({ raw: b.length, gzip: gzipSync(b, { level: 9 }).length });
  const addHeader = Object.fromEntries(mods.map((m) => [m.name, m.wasm ? sz(m.wasm) : null]));
  const ours = addHeader.ours!;
  table("Module size, add-header (bytes)", ["module", "raw", "gzip", "ours/this raw", "ours/this gzip"],
    mods.map((m) => [m.name, addHeader[m.name]?.raw, addHeader[m.name]?.gzip, ratio(ours.raw, addHeader[m.name]?.raw), ratio(ours.gzip, addHeader[m.name]?.gzip)]));
  const filters = Object.fromEntries(FILTERS.map((f) => [f, sz(new Uint8Array(readFileSync(`build/${f}.wasm`)))]));
  table("Module size, our filters (bytes)", ["filter", "raw", "gzip", "KiB raw"],
    FILTERS.map((f) => [f, filters[f].raw, filters[f].gzip, filters[f].raw / 1024]));
  const targets = [target("add-header size / proxy-runtime size", ratio(ours.raw, addHeader["proxy-runtime 0.1.8"]?.raw), 0.7, "x")];
  for (const f of FILTERS) targets.push(target(`${f} size`, +(filters[f].raw / 1024).toFixed(1), 48, "KiB"));
  return { addHeader, filters, targets };
}
