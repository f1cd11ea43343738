// The validator: Envoy's schema (schema.ts over the v3 protos) plus the checks Envoy makes when
// it builds the listeners and clusters (references, Wasm modules). One ConfigError per problem,
// each with the YAML path of the field at fault.
import { readFileSync } from "node:fs";
import YAML from "yaml";
import type { Obj } from "./fields.ts";
import { BOOTSTRAP_TYPE, lookupEnvoyType } from "./protos.ts";
import { regexChecks, semanticChecks, WATCH } from "./references.ts";
import { SchemaChecker, type ConfigError } from "./schema.ts";

export type { ConfigError } from "./schema.ts";

export interface ValidateOptions {
  /** Where relative Wasm filenames are resolved (Envoy: its working directory). Default: cwd. */
  baseDir?: string;
  /** Run each Wasm module's on_configure in envoy-test/host (default true). */
  runModules?: boolean;
  /** Maps a Wasm filename as the proxy sees it to the local file to check (e.g. the container's
   *  /etc/envoy/wasm/x.wasm -> build/x.wasm). Default: the filename itself. */
  localWasmPath?: (filename: string) => string;
  /** Message type of the document (default envoy.config.bootstrap.v3.Bootstrap). */
  type?: string;
}

export interface ValidationResult { errors: ConfigError[]; warnings: ConfigError[] }

/** yaml-cpp's YAML::convert<bool> (what Envoy's parseYamlNode tries first on an unquoted
 *  scalar) also takes y/yes/on and n/no/off in lower, Capitalised or UPPER case. Everything else
 *  follows the YAML 1.2 core schema, as yaml-cpp's int64/double conversions do (no sexagesimal
 *  "1:30", no "1_000"). */
const YAML_CPP_BOOL = {
  identify: (v: unknown) => typeof v === "boolean",
  default: true,
  tag: "tag:yaml.org,2002:bool",
  test: /^(?:y|Y|yes|Yes|YES|true|True|TRUE|on|On|ON|n|N|no|No|NO|false|False|FALSE|off|Off|OFF)$/,
  resolve: (s: string) => /^(?:y|yes|true|on)$/i.test(s),
};

/** Parses YAML the way Envoy's yaml-cpp conversion reads scalars. */
export function parseYaml(text: string, source = "config"): { value: unknown; errors: ConfigError[] } {
  const docs = YAML.parseAllDocuments(text, { schema: "core", customTags: (tags) => [YAML_CPP_BOOL, ...tags], uniqueKeys: true });
  const doc = Array.isArray(docs) ? docs[0] : docs;
  if (!doc) return { value: {}, errors: [] };
  const errors = doc.errors.map((e) => ({ path: `${source}:${e.linePos?.[0]?.line ?? "?"}`, message: `YAML: ${e.message.split("\n")[0]}` }));
  if (Array.isArray(docs) && docs.length > 1) errors.push({ path: source, message: "YAML: more than one document; Envoy reads one" });
  return { value: errors.length ? {} : doc.toJS({ maxAliasCount: 1000 }), errors };
}

export async function validateConfig(config: unknown, opts: ValidateOptions = {}): Promise<ValidationResult> {
  const type = lookupEnvoyType(opts.type ?? BOOTSTRAP_TYPE);
  if (!type) throw new Error(`validateConfig: unknown message type ${opts.type}`);
  const checker = new SchemaChecker(lookupEnvoyType, new Set(WATCH));
  checker.checkMessage(type, config, "");
  const errors = [...checker.errors];
  const warnings = [...checker.warnings];
  regexChecks(checker.visits, errors, warnings); // any document type: RE2 compiles every RegexMatcher
  if ((opts.type ?? BOOTSTRAP_TYPE) === BOOTSTRAP_TYPE) {
    await semanticChecks(config as Obj, checker.visits, opts, errors, warnings);
  }
  return { errors, warnings };
}

export async function validateYaml(text: string, opts: ValidateOptions = {}, source = "config"): Promise<ValidationResult> {
  const parsed = parseYaml(text, source);
  if (parsed.errors.length) return { errors: parsed.errors, warnings: [] };
  return validateConfig(parsed.value, opts);
}

/** Validates a YAML or JSON file; relative Wasm paths resolve against the current directory, as for Envoy. */
export async function validateFile(path: string, opts: ValidateOptions = {}): Promise<ValidationResult> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    return { errors: [{ path, message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }], warnings: [] };
  }
  return validateYaml(text, opts, path);
}

export function formatError(e: ConfigError): string {
  return `${e.path || "(document)"}: ${e.message}`;
}
