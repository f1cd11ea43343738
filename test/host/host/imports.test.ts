// Every built filter (build/*.wasm) is a module Envoy would load: its imports are ones Envoy
// registers for its ABI version with the same signatures, and it exports the ABI marker, both
// allocators (malloc and proxy_on_memory_allocate) and its memory.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { ABI_MARKERS } from "../../../envoy-test/host/abi.ts";
import { checkModule } from "../../../envoy-test/host/module-check.ts";

const buildDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "build");
const modules = existsSync(buildDir) ? readdirSync(buildDir).filter((f) => f.endsWith(".wasm")).sort() : [];

if (modules.length === 0) {
  test("every build/*.wasm passes Envoy's import check", { skip: `no build/*.wasm in ${buildDir}: run npm run build first` }, () => {});
}

for (const file of modules) {
  test(`build/${file} imports only what Envoy registers, with Envoy's signatures`, () => {
    const check = checkModule(new Uint8Array(readFileSync(join(buildDir, file))));
    assert.deepEqual(check.errors, [], `build/${file}: ${check.errors.join("; ")}`);
    assert.ok(check.abi, "an ABI marker");
  });

  test(`build/${file} exports an ABI marker, malloc, proxy_on_memory_allocate and memory`, () => {
    const { info } = checkModule(new Uint8Array(readFileSync(join(buildDir, file))));
    const exported = (name: string, kind: string) => info.exports.some((e) => e.name === name && e.kind === kind);
    assert.ok(Object.keys(ABI_MARKERS).some((m) => exported(m, "func")), "proxy_abi_version_0_x_y");
    assert.ok(exported("malloc", "func"), "malloc");
    assert.ok(exported("proxy_on_memory_allocate", "func"), "proxy_on_memory_allocate");
    assert.ok(exported("memory", "memory"), "memory");
    for (const name of ["malloc", "proxy_on_memory_allocate"]) {
      assert.equal(info.exports.find((e) => e.name === name)!.sig, "i:i", `${name}(i32) -> i32`);
    }
  });
}
