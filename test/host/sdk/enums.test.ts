// sdk/enums.ts must give every ABI enum the values of the project's one ABI table
// (envoy-test/host/abi.ts, from the spec's "Types"): a wrong number there would pass every
// AssemblyScript test and fail only in Envoy.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import * as abi from "../../../envoy-test/host/abi.ts";

const source = readFileSync(new URL("../../../sdk/enums.ts", import.meta.url), "utf8");

function sdkEnums(text: string): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  for (const m of text.matchAll(/export enum (\w+)\s*\{([^}]*)\}/g)) {
    const members = new Map<string, number>();
    for (const e of m[2].replace(/\/\/[^\n]*/g, "").split(",")) {
      const kv = e.match(/^\s*(\w+)\s*=\s*(-?\d+)\s*$/);
      if (kv) members.set(kv[1], Number(kv[2]));
    }
    out.set(m[1], members);
  }
  return out;
}

const ABI_ENUMS = ["WasmResult", "LogLevel", "BufferType", "MapType", "StreamType", "PeerType", "MetricType",
  "FilterHeadersStatus", "FilterDataStatus", "FilterTrailersStatus", "FilterStatus"] as const;

test("sdk/enums.ts declares every ABI enum with the ABI table's members and values", () => {
  const sdk = sdkEnums(source);
  for (const name of ABI_ENUMS) {
    const table = (abi as unknown as Record<string, Record<string, string | number>>)[name];
    const expected = Object.entries(table).filter(([, v]) => typeof v === "number");
    const got = sdk.get(name);
    assert.ok(got, `sdk/enums.ts: enum ${name} is missing`);
    assert.deepEqual([...got.entries()].sort(), expected.sort(), `sdk/enums.ts: enum ${name} differs from envoy-test/host/abi.ts`);
  }
});
