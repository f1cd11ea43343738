// Installing configs: validate first, then write a temp file in the same directory and rename it
// over the target. rename(2) is atomic within a filesystem, so a reader (Envoy's file watch, the
// gateway's) sees the old file or the new one, never half of one. Envoy's filesystem xDS
// subscription reloads on exactly this event: it watches the path for MovedTo
// (source/extensions/config_subscription/filesystem/filesystem_subscription_impl.cc).
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import YAML from "yaml";
import { TYPES, type EnvoyConfig, type Json } from "./builder.ts";
import { formatError, validateConfig, type ValidateOptions, type ValidationResult } from "./validate.ts";

export class ConfigValidationError extends Error {
  constructor(readonly target: string, readonly result: ValidationResult) {
    super(`${target}: not written, the config is invalid:\n${result.errors.map(formatError).join("\n")}`);
  }
}

export interface WriteOptions extends ValidateOptions {
  /** Called after the temp file is complete and before the rename (tests use it to interrupt). */
  beforeRename?: (tempPath: string) => void;
}

export function toYaml(value: unknown): string {
  // YAML 1.1 quoting: strings yaml-cpp would read as booleans ("on", "yes") or numbers are
  // quoted, so Envoy's conversion keeps them strings.
  return YAML.stringify(value, { version: "1.1", lineWidth: 0, aliasDuplicateObjects: false });
}

/** Writes `text` to `path` through a temp file and a rename; the temp file never outlives a failure. */
export function writeAtomic(path: string, text: string, beforeRename?: (tempPath: string) => void): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  try {
    const fd = openSync(temp, "wx", 0o644);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    beforeRename?.(temp);
    renameSync(temp, path);
  } catch (e) {
    rmSync(temp, { force: true });
    throw e;
  }
}

/** The file an EDS path_config_source reads: a DiscoveryResponse holding one ClusterLoadAssignment
 *  (FilesystemSubscriptionImpl::refreshInternal loads a DiscoveryResponse). */
export function edsDocument(assignment: Json, version: string): Json {
  return {
    version_info: version,
    resources: [{ "@type": TYPES.clusterLoadAssignment, ...assignment }],
  };
}

/** Validates and atomically writes one EDS file. */
export async function writeEds(path: string, assignment: Json, version: string, opts: WriteOptions = {}): Promise<void> {
  const doc = edsDocument(assignment, version);
  const result = await validateConfig(doc, { type: "envoy.service.discovery.v3.DiscoveryResponse" });
  if (result.errors.length) throw new ConfigValidationError(path, result);
  writeAtomic(path, toYaml(doc), opts.beforeRename);
}

/** Validates the bootstrap, then writes its EDS files (first: the config refers to them) and the
 *  config itself, each atomically. Nothing is written when validation fails. */
export async function writeConfig(path: string, config: EnvoyConfig | Json, opts: WriteOptions = {}): Promise<ValidationResult> {
  const isBuilder = typeof (config as EnvoyConfig).build === "function";
  const bootstrap = isBuilder ? (config as EnvoyConfig).build() : (config as Json);
  const result = await validateConfig(bootstrap, opts);
  if (result.errors.length) throw new ConfigValidationError(path, result);
  if (isBuilder) {
    const version = new Date().toISOString();
    for (const [edsPath, assignment] of (config as EnvoyConfig).edsFiles) {
      await writeEds(edsPath, assignment, version, opts);
    }
  }
  writeAtomic(path, toYaml(bootstrap), opts.beforeRename);
  return result;
}
