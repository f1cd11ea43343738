// Each broken config in test/fixtures/configs is rejected with exactly the errors its
// "# expect:" lines name (YAML path and message), and nothing else.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";
import { formatError, validateYaml } from "../../../envoy-test/config/index.ts";

const repo = resolve(import.meta.dirname, "../../..");
const dir = join(repo, "test/fixtures/configs");

function expectations(text: string): { path: string; fragment: string }[] {
  return [...text.matchAll(/^# expect: (\S+): (.+)$/gm)].map((m) => ({ path: m[1], fragment: m[2] }));
}

describe("broken config corpus", () => {
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".yaml")).sort()) {
    const text = readFileSync(join(dir, file), "utf8");
    const expected = expectations(text);
    const name = expected.length ? `${file} is rejected at ${expected.map((e) => e.path.split(".").slice(-2).join(".")).join(" and ")}` : `${file} validates`;
    // "# requires: build/x.wasm": the fixture asks a built module (run in envoy-test/host).
    const requires = [...text.matchAll(/^# requires: (\S+)$/gm)].map((m) => m[1]);
    const missing = requires.filter((r) => !existsSync(join(repo, r)));
    it(name, { skip: missing.length ? `${missing.join(", ")} not built (npm run build)` : false }, async () => {
      const { errors } = await validateYaml(text, { baseDir: repo, runModules: requires.length > 0 }, file);
      const shown = errors.map(formatError).join("\n");
      assert.equal(errors.length, expected.length, `expected ${expected.length} error(s), got:\n${shown}`);
      for (const e of expected) {
        const hit = errors.find((x) => x.path === e.path);
        assert.ok(hit, `no error at ${e.path}; got:\n${shown}`);
        assert.ok(hit.message.includes(e.fragment) || e.fragment.includes(hit.message), `at ${e.path}: "${hit.message}" does not say "${e.fragment}"`);
      }
    });
  }
});
