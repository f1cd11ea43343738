// `proxy-wasm-as new NAME` (envoy-test/scaffold.ts) gives a new filter author a green start: in a
// copy of the project, the scaffolded filter builds and its generated host test passes.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { scaffoldFilter } from "../../envoy-test/scaffold.ts";
import { ROOT } from "./sdk-fixture.ts";

let copy = "";
before(() => {
  copy = mkdtempSync(join(tmpdir(), "scaffold-"));
  for (const p of ["sdk", "envoy-test", "asconfig.json", "package.json", "tsconfig.json"]) {
    cpSync(join(ROOT, p), join(copy, p), { recursive: true });
  }
  symlinkSync(join(ROOT, "node_modules"), join(copy, "node_modules"), "dir");
});
after(() => { if (copy) rmSync(copy, { recursive: true, force: true }); });

function run(args: string[]): { status: number | null; out: string } {
  // A child test run must not think it is a subtest of this one (node:test's NODE_TEST_CONTEXT).
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const r = spawnSync(process.execPath, ["--import", "tsx", ...args], { cwd: copy, env, encoding: "utf8", timeout: 300_000 });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}

test("scaffolds filters/NAME, its host test and its build target, and they build and pass", () => {
  const files = scaffoldFilter("hello-world", copy);
  assert.deepEqual(files, [
    "filters/hello-world/index.ts", "filters/hello-world/config.ts", "filters/hello-world/README.md",
    "test/host/hello-world.test.ts", "asconfig.json",
  ]);
  const target = JSON.parse(readFileSync(join(copy, "asconfig.json"), "utf8")).targets["hello-world"];
  assert.equal(target.outFile, "build/hello-world.wasm");
  assert.equal(target.runtime, "minimal");

  const build = run(["envoy-test/build.ts", "hello-world"]);
  assert.equal(build.status, 0, build.out);
  const t = run(["--test", "test/host/hello-world.test.ts"]);
  assert.equal(t.status, 0, t.out);
  assert.match(t.out, /# pass 2/);
  assert.match(t.out, /# fail 0/);
});

test("refuses a name that is not a lower-case dashed identifier, creating nothing", () => {
  assert.throws(() => scaffoldFilter("Bad_Name", copy), /filter name "Bad_Name" must be lower-case/);
  assert.throws(() => scaffoldFilter("../x", copy), /must be lower-case/);
});

test("refuses to overwrite an existing filter", () => {
  assert.throws(() => scaffoldFilter("sdk-scaffold-twice", copy) && scaffoldFilter("sdk-scaffold-twice", copy),
    /filters\/sdk-scaffold-twice\/index.ts already exists; nothing created/);
});
