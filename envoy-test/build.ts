// Builds every filter named in asconfig.json's targets: filters/<target>/index.ts -> outFile.
// Usage: tsx envoy-test/build.ts [target ...]   (no argument: all targets whose entry exists)
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import asc from "assemblyscript/asc";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export async function buildFilters(names?: string[]): Promise<string[]> {
  const config = JSON.parse(readFileSync(join(root, "asconfig.json"), "utf8")) as {
    targets: Record<string, { outFile: string }>;
  };
  const targets = names && names.length ? names : Object.keys(config.targets);
  const built: string[] = [];
  for (const name of targets) {
    const target = config.targets[name];
    if (!target) throw new Error(`build: no target "${name}" in asconfig.json (targets: ${Object.keys(config.targets).join(", ")})`);
    const entry = join("filters", name, "index.ts");
    if (!existsSync(join(root, entry))) {
      if (names && names.length) throw new Error(`build: ${entry} does not exist`);
      console.log(`build: ${name}: skipped (${entry} not written yet)`);
      continue;
    }
    mkdirSync(join(root, dirname(target.outFile)), { recursive: true });
    const stderr: string[] = [];
    const { error } = await asc.main([entry, "--config", "asconfig.json", "--target", name], {
      stdout: { write: () => true } as never,
      stderr: { write: (s: string) => (stderr.push(String(s)), true) } as never,
    } as never);
    if (error) throw new Error(`build: ${name} failed:\n${stderr.join("")}`);
    built.push(target.outFile);
    console.log(`build: ${target.outFile}`);
  }
  return built;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildFilters(process.argv.slice(2)).catch((e: Error) => {
    console.error(e.message);
    process.exit(1);
  });
}
