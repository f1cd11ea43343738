// What a filter may import from the SDK (sdk/README.md, "What a filter imports"): the public
// surface only, never the raw ABI bindings or the SDK's internals.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

const ALLOWED = new Set([
  "sdk", "sdk/exports", "sdk/exports/common", "sdk/exports/http", "sdk/exports/network", "sdk/exports/callouts",
  "sdk/websocket", "sdk/ascii", "sdk/config", "sdk/json", "sdk/utf8", "sdk/hash",
]);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

test("filters import only the SDK's public surface (no sdk/bindings, no internals)", () => {
  const bad: string[] = [];
  for (const f of files("filters")) {
    for (const m of readFileSync(f, "utf8").matchAll(/from\s+"((?:\.\.\/)+)(sdk[^"]*)"/g)) {
      if (!ALLOWED.has(m[2])) bad.push(`${f}: ${m[2]}`);
    }
  }
  assert.deepEqual(bad, []);
});
