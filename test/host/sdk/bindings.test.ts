// sdk/bindings.ts must declare exactly the ABI 0.2.1 host functions Envoy registers, with the
// exact wasm signatures (envoy-test/host/abi.ts, the project's one ABI table).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { HOST_FUNCTIONS_0_2_1 } from "../../../envoy-test/host/abi.ts";

const source = readFileSync(new URL("../../../sdk/bindings.ts", import.meta.url), "utf8");

/** AssemblyScript parameter/result type -> the ABI table's letter (wasm32: pointers are i32). */
function letter(type: string, where: string): string {
  const t = type.trim();
  if (["u32", "i32", "usize", "isize", "bool", "u8", "i8", "u16", "i16"].includes(t)) return "i";
  if (["u64", "i64"].includes(t)) return "I";
  if (t === "void") return "";
  throw new Error(`${where}: type "${t}" has no wasm mapping in this test`);
}

interface Declared { module: string; name: string; sig: string }

function parseDeclarations(text: string): Declared[] {
  const out: Declared[] = [];
  const re = /@external\("([^"]+)",\s*"([^"]+)"\)\s*export declare function (\w+)\s*\(([^)]*)\)\s*:\s*(\w+)\s*;/g;
  for (const m of text.matchAll(re)) {
    const [, module, name, fn, params, result] = m;
    assert.equal(fn, name, `bindings.ts: ${fn} is imported as "${name}"; keep the ABI name`);
    const ps = params.split(",").map((p) => p.trim()).filter(Boolean)
      .map((p) => letter(p.split(":")[1] ?? "", `${name}(${p})`)).join("");
    out.push({ module, name, sig: `${ps}:${letter(result, `${name} result`)}` });
  }
  return out;
}

const declared = parseDeclarations(source);

test("bindings.ts declares every ABI 0.2.1 host function with the exact signature", () => {
  const byName = new Map(declared.map((d) => [d.name, d]));
  for (const [name, sig] of Object.entries(HOST_FUNCTIONS_0_2_1)) {
    const d = byName.get(name);
    assert.ok(d, `sdk/bindings.ts does not declare ${name} (${sig})`);
    assert.equal(d.module, "env", `${name} must be imported from "env"`);
    assert.equal(d.sig, sig, `${name}: declared ${d.sig}, Envoy registers ${sig}`);
  }
  assert.equal(Object.keys(HOST_FUNCTIONS_0_2_1).length, 39);
});

test("bindings.ts declares nothing outside ABI 0.2.1", () => {
  const extra = declared.filter((d) => !(d.name in HOST_FUNCTIONS_0_2_1)).map((d) => `${d.module}.${d.name}`);
  assert.deepEqual(extra, []);
  const externals = (source.match(/@external\(/g) ?? []).length;
  assert.equal(externals, declared.length, "every @external in bindings.ts is a parsable declaration");
  assert.equal(declared.length, 39);
});
