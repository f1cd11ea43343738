// The one YAML reader of envoy-test: the validator, the gateway's bootstrap and its EDS files
// all read text through it, so a file cannot mean one thing to the validator and another to the
// gateway. It reads scalars as Envoy does: MessageUtil::loadFromYaml
// (source/common/protobuf/yaml_utility.cc) converts the yaml-cpp tree to JSON, trying
// YAML::convert<bool> on an unquoted scalar first. JSON text is YAML, and is read the same way.
import YAML from "yaml";
import type { ConfigProblem } from "./schema.ts";

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

/** Reads a YAML or JSON document as parseYaml does; throws one Error listing every problem. */
export function readYamlDocument(text: string, source = "config"): unknown {
  const { value, errors } = parseYaml(text, source);
  if (errors.length) throw new Error(errors.map((e) => `${e.path}: ${e.message}`).join("\n"));
  return value;
}
