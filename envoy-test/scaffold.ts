// Scaffolds a new filter: filters/NAME/{index.ts, config.ts, README.md}, a passing host test
// test/host/NAME.test.ts and an asconfig.json target writing build/NAME.wasm. The CLI wires it
// as `proxy-wasm-as new NAME` (envoy-test/cli.ts). The new filter adds a configured response
// header, so its first build and test are green and show every moving part.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

const NAME_RE = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** Default options of a filter target (the SDK's requirements: minimal runtime with collection
 *  at callback exits, _initialize as start, AssemblyScript's abort/trace/seed routed to the SDK). */
const TARGET_DEFAULTS = {
  optimizeLevel: 3,
  shrinkLevel: 0,
  converge: true,
  noAssert: false,
  runtime: "minimal",
  exportStart: "_initialize",
  use: ["abort=sdk/runtime/abort/abort", "trace=sdk/runtime/abort/trace", "seed=sdk/runtime/abort/seed"],
};

/**
 * Creates filter NAME under project `root`; returns the paths written, relative to root.
 * Throws (writing nothing) when NAME is not a lower-case dashed identifier, or when the folder,
 * the test or the asconfig.json target already exists.
 */
export function scaffoldFilter(name: string, root: string): string[] {
  if (!NAME_RE.test(name)) {
    throw new Error(`new: filter name "${name}" must be lower-case letters and digits separated by single dashes (e.g. "rate-limit")`);
  }
  const asconfigPath = join(root, "asconfig.json");
  if (!existsSync(asconfigPath)) throw new Error(`new: ${asconfigPath} not found; run it from the project root`);
  const asconfig = JSON.parse(readFileSync(asconfigPath, "utf8")) as { targets?: Record<string, unknown> };
  asconfig.targets ??= {};
  const files: Record<string, string> = {
    [`filters/${name}/index.ts`]: indexTs(name),
    [`filters/${name}/config.ts`]: configTs(name),
    [`filters/${name}/README.md`]: readme(name),
    [`test/host/${name}.test.ts`]: testTs(name),
  };
  for (const f of Object.keys(files)) {
    if (existsSync(join(root, f))) throw new Error(`new: ${f} already exists; nothing created`);
  }
  if (name in asconfig.targets) throw new Error(`new: asconfig.json already has a target "${name}"; nothing created`);

  for (const [f, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, f)), { recursive: true });
    writeFileSync(join(root, f), text);
  }
  asconfig.targets[name] = { outFile: `build/${name}.wasm`, ...TARGET_DEFAULTS };
  writeFileSync(asconfigPath, JSON.stringify(asconfig, null, 2) + "\n");
  return [...Object.keys(files), "asconfig.json"];
}

const rootIdOf = (name: string) => name.replace(/-/g, "_");
const classOf = (name: string) => name.split("-").map((p) => p[0].toUpperCase() + p.slice(1)).join("");

function indexTs(name: string): string {
  const C = classOf(name);
  return `// ${name}: adds a configured header to every response. Start here and change what it does.
// Plugin configuration (strict JSON): {"header": "x-${name}", "value": "..."}; root_id "${rootIdOf(name)}".
export * from "../../sdk/exports";
import {
  FilterHeadersStatus, HttpContext, logError, registerRootContext, responseHeaders, RootContext,
} from "../../sdk";
import { ${C}Config, parse${C}Config } from "./config";

class ${C}Root extends RootContext {
  config: ${C}Config = new ${C}Config("", "");

  /** Runs on every (re)configuration: a bad config is logged and refused (Envoy rejects it). */
  onConfigure(size: usize): bool {
    const parsed = parse${C}Config(this.pluginConfiguration());
    if (parsed.error !== null) {
      logError("${name}: bad configuration: " + (parsed.error as string));
      return false;
    }
    this.config = parsed.config;
    return true;
  }

  newHttpContext(id: u32): HttpContext | null {
    return new ${C}(id, this);
  }
}

class ${C} extends HttpContext {
  onResponseHeaders(numHeaders: u32, endOfStream: bool): FilterHeadersStatus {
    const c = (this.root as ${C}Root).config;
    responseHeaders.add(c.header, c.value);
    return FilterHeadersStatus.Continue;
  }
}

registerRootContext("${rootIdOf(name)}", (id: u32): RootContext => new ${C}Root(id));
`;
}

function configTs(name: string): string {
  const C = classOf(name);
  return `// ${name}'s plugin configuration. Unknown keys, wrong types and missing required keys are
// errors that name the key (sdk/config.ts ConfigReader).
import { ConfigReader } from "../../sdk";

export class ${C}Config {
  constructor(public header: string, public value: string) {}
}

export class Parsed${C}Config {
  constructor(public config: ${C}Config, public error: string | null) {}
}

export function parse${C}Config(text: string): Parsed${C}Config {
  const r = ConfigReader.parse(text);
  const header = r.string("header", false, "x-${name}");
  const value = r.string("value", true, "");
  r.finish();
  return new Parsed${C}Config(new ${C}Config(header, value), r.error);
}
`;
}

function readme(name: string): string {
  return `# ${name}

Adds a configured header to every response.

## Configuration (strict JSON)

| key      | type   | required | default      |
|----------|--------|----------|--------------|
| \`header\` | string | no       | \`x-${name}\` |
| \`value\`  | string | yes      |              |

root_id: \`${rootIdOf(name)}\`

## Build and test

    npx tsx envoy-test/build.ts ${name}          # build/${name}.wasm
    node --import tsx --test test/host/${name}.test.ts
`;
}

function testTs(name: string): string {
  return `// ${name} in the Envoy-like host (envoy-test/host).
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { buildFilters } from "../../envoy-test/build.ts";
import { Host, ManualClock } from "../../envoy-test/host/index.ts";

const WASM = fileURLToPath(new URL("../../build/${name}.wasm", import.meta.url));
before(async () => { await buildFilters(["${name}"]); });

test("adds the configured header to responses", async () => {
  const host = new Host({ clock: new ManualClock() });
  const plugin = await host.loadPlugin({
    wasm: WASM, rootId: "${rootIdOf(name)}", configuration: JSON.stringify({ value: "on" }),
  });
  const s = plugin.createHttpStream();
  s.callOnRequestHeaders([[":method", "GET"], [":path", "/"], [":authority", "example"], [":scheme", "http"]]);
  s.callOnResponseHeaders([[":status", "200"]]);
  assert.deepEqual(s.responseHeaders.filter(([k]) => k === "x-${name}"), [["x-${name}", "on"]]);
});

test("refuses a configuration with an unknown key, naming it", async () => {
  const host = new Host({ clock: new ManualClock() });
  await assert.rejects(host.loadPlugin({
    wasm: WASM, rootId: "${rootIdOf(name)}", configuration: JSON.stringify({ value: "on", typo: 1 }),
  }));
  assert.match(host.logs("error")[0]?.message ?? "", /typo: unknown key/);
});
`;
}
