// The validator: Envoy's schema (schema.ts over the v3 protos) plus the checks Envoy makes when
// it builds the listeners and clusters (references, Wasm modules). One ConfigProblem per problem,
// each with the YAML path of the field at fault.
import { readFileSync } from "node:fs";
import YAML from "yaml";
import type { Obj } from "./fields.ts";
import { BOOTSTRAP_TYPE, lookupEnvoyType } from "./protos.ts";
import { regexChecks, semanticChecks, WATCH } from "./references.ts";
import { SchemaChecker, type ConfigProblem } from "./schema.ts";
import type { ValidateOptions } from "./validate-options.ts";

export type { ConfigProblem } from "./schema.ts";
export type { ValidateOptions } from "./validate-options.ts";

export interface ValidationResult { errors: ConfigProblem[]; warnings: ConfigProblem[] }

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
export function parseYaml(text: string, source = "config"): { value: unknown; errors: ConfigProblem[] } {
  const docs = YAML.parseAllDocuments(text, { schema: "core", customTags: (tags) => [YAML_CPP_BOOL, ...tags], uniqueKeys: true });
  const doc = Array.isArray(docs) ? docs[0] : docs;
  if (!doc) return { value: {}, errors: [] };
  // The yaml package's message is one line naming the position, then a code frame of the lines
  // around it with a caret under the column: both are kept, and the path carries line:column.
  const errors = doc.errors.map((e) => {
    const at = e.linePos?.[0];
    const [first, ...frame] = e.message.split("\n");
    const context = frame.join("\n").replace(/^\n+|\s+$/g, "");
    return { path: at ? `${source}:${at.line}:${at.col}` : source, message: `YAML: ${first}${context ? `\n${context}` : ""}` };
  });
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

export function formatError(e: ConfigProblem): string {
  return `${e.path || "(document)"}: ${e.message}`;
}
