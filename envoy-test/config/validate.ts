// The validator: Envoy's schema (schema.ts over the v3 protos) plus the checks Envoy makes when
// it builds the listeners and clusters (references, Wasm modules). One ConfigProblem per problem,
// each with the YAML path of the field at fault.
import { readFileSync } from "node:fs";
import type { Obj } from "./fields.ts";
import { BOOTSTRAP_TYPE, lookupEnvoyType } from "./protos.ts";
import { regexChecks, semanticChecks, WATCH } from "./references.ts";
import { SchemaChecker, type ConfigProblem } from "./schema.ts";
import type { ValidateOptions } from "./validate-options.ts";
import { parseYaml } from "./yaml.ts";

export { parseYaml } from "./yaml.ts";

export type { ConfigProblem } from "./schema.ts";
export type { ValidateOptions } from "./validate-options.ts";

export interface ValidationResult { errors: ConfigProblem[]; warnings: ConfigProblem[] }

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
