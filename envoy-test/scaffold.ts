// `proxy-wasm-as new NAME` in a filter project (a folder with a package.json that depends on
// proxy-wasm-as): filters/NAME/{index.ts, config.ts, README.md} importing the SDK by package
// name, a host test test/NAME.test.mjs for plain `node --test`, and, when missing, asconfig.json
// (extends the package's preset), filters/tsconfig.json (editor types) and the npm scripts
// build, build:debug and test. The filter adds a configured response header, so its first build
// and test are green and show every moving part.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

const NAME_RE = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

const SCRIPTS: Record<string, string> = {
  build: "proxy-wasm-as build",
  "build:debug": "proxy-wasm-as build --debug",
  test: "proxy-wasm-as build && node --test",
};
// What `npm init -y` writes as "test": replaced, since it only fails.
const NPM_INIT_TEST = /^echo "Error: no test specified" && exit 1$/;

/**
 * Creates filter NAME in project `root`; returns the paths written or changed, relative to root.
 * Throws (writing nothing) when NAME is not a lower-case dashed identifier, when root has no
 * package.json, or when one of the filter's files already exists.
 */
export function scaffoldFilter(name: string, root: string): string[] {
  if (!NAME_RE.test(name)) {
    throw new Error(`new: filter name "${name}" must be lower-case letters and digits separated by single dashes (e.g. "rate-limit")`);
  }
  const pkgPath = join(root, "package.json");
  if (!existsSync(pkgPath)) throw new Error(`new: ${pkgPath} not found; run it in your project's folder (after npm init -y and npm install proxy-wasm-as)`);
  const pkg = JSON.parse(readFileSync(pkgPath, "utf8")) as { scripts?: Record<string, string> };
  const files: Record<string, string> = {
    [`filters/${name}/index.ts`]: indexTs(name),
    [`filters/${name}/config.ts`]: configTs(name),
    [`filters/${name}/README.md`]: readme(name),
    [`test/${name}.test.mjs`]: testMjs(name),
  };
  for (const f of Object.keys(files)) {
    if (existsSync(join(root, f))) throw new Error(`new: ${f} already exists; nothing created`);
  }
  if (!existsSync(join(root, "asconfig.json"))) files["asconfig.json"] = JSON.stringify({ extends: "proxy-wasm-as/asconfig.json" }, null, 2) + "\n";
  if (!existsSync(join(root, "filters/tsconfig.json"))) files["filters/tsconfig.json"] = JSON.stringify({ extends: "assemblyscript/std/assembly.json", include: ["./**/*.ts"] }, null, 2) + "\n";

  for (const [f, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, f)), { recursive: true });
    writeFileSync(join(root, f), text);
  }
  const written = Object.keys(files);
  pkg.scripts ??= {};
  let changed = false;
  for (const [k, v] of Object.entries(SCRIPTS)) {
    const cur = pkg.scripts[k];
    if (cur === undefined || (k === "test" && NPM_INIT_TEST.test(cur))) { pkg.scripts[k] = v; changed = true; }
  }
  if (changed) { writeFileSync(pkgPath, JSON.stringify(pkg, null, 2) + "\n"); written.push("package.json"); }
  return written;
}

const rootIdOf = (name: string) => name.replace(/-/g, "_");
const classOf = (name: string) => name.split("-").map((p) => p[0].toUpperCase() + p.slice(1)).join("");

function indexTs(name: string): string {
  const C = classOf(name);
  return `// ${name}: adds a configured header to every response. Start here and change what it does.
// Plugin configuration (strict JSON): {"header": "x-${name}", "value": "..."}; root_id "${rootIdOf(name)}".
export * from "proxy-wasm-as/exports";
import {
  FilterHeadersStatus, HttpContext, logError, registerRootContext, responseHeaders, RootContext,
} from "proxy-wasm-as";
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
import { ConfigReader } from "proxy-wasm-as";

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

    npx proxy-wasm-as build                    # build/${name}.wasm (--debug: keeps function names)
    npm test                                   # builds, then runs test/${name}.test.mjs in the host
`;
}

function testMjs(name: string): string {
  return `// ${name} in proxy-wasm-as's Envoy-like host: the real .wasm, as Envoy runs it.
// \`npm test\` builds build/${name}.wasm first (npx proxy-wasm-as build; --debug for backtraces).
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { Host, ManualClock } from "proxy-wasm-as/host";

const WASM = fileURLToPath(new URL("../build/${name}.wasm", import.meta.url));
const ROOT_ID = "${rootIdOf(name)}";
if (!existsSync(WASM)) throw new Error(\`\${WASM} is not built: run npx proxy-wasm-as build\`);

// throwOnTrap: a trap in the filter fails the test with Envoy's message, the in-VM backtrace and
// the filter's last log lines.
const newHost = () => new Host({ clock: new ManualClock(), throwOnTrap: true });

test("adds the configured header to responses", async () => {
  const host = newHost();
  const plugin = await host.loadPlugin({ wasm: WASM, rootId: ROOT_ID, configuration: JSON.stringify({ value: "on" }) });
  const s = plugin.createHttpStream();
  s.callOnRequestHeaders([[":method", "GET"], [":path", "/"], [":authority", "example"], [":scheme", "http"]]);
  s.callOnResponseHeaders([[":status", "200"]]);
  assert.deepEqual(s.responseHeaders.filter(([k]) => k === "x-${name}"), [["x-${name}", "on"]]);
  s.complete();
});

test("refuses a configuration with an unknown key, naming it", async () => {
  const host = newHost();
  await assert.rejects(host.loadPlugin({ wasm: WASM, rootId: ROOT_ID, configuration: JSON.stringify({ value: "on", typo: 1 }) }),
    /Failed to configure/);
  assert.match(host.logs("error")[0]?.message ?? "", /typo: unknown key/);
});
`;
}
