// The ws-router Envoy YAML (test/fixtures/ws-router/envoy.yaml, the README's snippet made
// complete) against the config validator: Envoy's v3 API, the clusters the filter's JSON names,
// and the filter's own on_configure run in the host.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { validateYaml, formatError } from "../../../../envoy-test/config/validate.ts";
import { ROOT, ensureBuilt } from "../../../../bench/support/ws-router.ts";

const YAML_TEXT = readFileSync(join(ROOT, "test/fixtures/ws-router/envoy.yaml"), "utf8");

before(async () => { await ensureBuilt(); });

test("the ws-router Envoy YAML validates with no errors", async () => {
  const r = await validateYaml(YAML_TEXT, { baseDir: ROOT }, "envoy.yaml");
  assert.deepEqual(r.errors.map(formatError), []);
});

test("a shard cluster missing from the bootstrap is reported at its path in the filter JSON", async () => {
  const broken = YAML_TEXT.replace('"clusters": ["presence-a", "presence-b"]', '"clusters": ["presence-a", "presence-z"]');
  assert.notEqual(broken, YAML_TEXT);
  const r = await validateYaml(broken, { baseDir: ROOT }, "envoy.yaml");
  assert.ok(r.errors.some((e) => /presence-z/.test(formatError(e))), r.errors.map(formatError).join("\n"));
});

test("a filter configuration that on_configure refuses is reported with the filter's key path", async () => {
  const broken = YAML_TEXT.replace('"service": "apps"', '"service": "chat"');
  const r = await validateYaml(broken, { baseDir: ROOT }, "envoy.yaml");
  assert.ok(r.errors.some((e) => /routes\[2\]\.service: unknown service "chat"/.test(formatError(e))), r.errors.map(formatError).join("\n"));
});
