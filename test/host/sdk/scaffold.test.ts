// `proxy-wasm-as new NAME` (envoy-test/scaffold.ts) in a filter project: what it writes. That the
// result builds and its test passes with the installed package is test/package/consumer.test.ts.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { scaffoldFilter } from "../../../envoy-test/scaffold.ts";

function project(pkg: object = { name: "my-proxy", scripts: { test: 'echo "Error: no test specified" && exit 1' } }): string {
  const dir = mkdtempSync(join(tmpdir(), "scaffold-"));
  writeFileSync(join(dir, "package.json"), JSON.stringify(pkg));
  return dir;
}

test("writes the filter with package-name imports, its host test, asconfig.json and npm scripts", () => {
  const dir = project();
  assert.deepEqual(scaffoldFilter("hello-world", dir), [
    "filters/hello-world/index.ts", "filters/hello-world/config.ts", "filters/hello-world/README.md",
    "test/hello-world.test.mjs", "asconfig.json", "filters/tsconfig.json", "package.json",
  ]);
  const index = readFileSync(join(dir, "filters/hello-world/index.ts"), "utf8");
  assert.match(index, /^export \* from "proxy-wasm-as\/exports";$/m);
  assert.match(index, /} from "proxy-wasm-as";$/m);
  assert.doesNotMatch(index + readFileSync(join(dir, "filters/hello-world/config.ts"), "utf8"), /\.\.\/sdk/);
  assert.match(readFileSync(join(dir, "test/hello-world.test.mjs"), "utf8"), /from "proxy-wasm-as\/host"/);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, "asconfig.json"), "utf8")), { extends: "proxy-wasm-as/asconfig.json" });
  assert.deepEqual(JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).scripts, {
    test: "proxy-wasm-as build && node --test", build: "proxy-wasm-as build", "build:debug": "proxy-wasm-as build --debug",
  });
});

test("keeps the project's own asconfig.json and scripts", () => {
  const dir = project({ name: "p", scripts: { test: "vitest", build: "make" } });
  writeFileSync(join(dir, "asconfig.json"), "{}");
  const files = scaffoldFilter("second", dir);
  assert.ok(!files.includes("asconfig.json"));
  assert.equal(readFileSync(join(dir, "asconfig.json"), "utf8"), "{}");
  assert.deepEqual(JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).scripts,
    { test: "vitest", build: "make", "build:debug": "proxy-wasm-as build --debug" });
});

test("refuses a name that is not a lower-case dashed identifier, creating nothing", () => {
  const dir = project();
  assert.throws(() => scaffoldFilter("Bad_Name", dir), /filter name "Bad_Name" must be lower-case/);
  assert.throws(() => scaffoldFilter("../x", dir), /must be lower-case/);
});

test("refuses to overwrite an existing filter, and a folder without package.json", () => {
  const dir = project();
  scaffoldFilter("twice", dir);
  assert.throws(() => scaffoldFilter("twice", dir), /filters\/twice\/index.ts already exists; nothing created/);
  assert.throws(() => scaffoldFilter("x", mkdtempSync(join(tmpdir(), "scaffold-"))), /package\.json not found/);
});
