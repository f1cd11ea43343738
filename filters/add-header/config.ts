// add-header's plugin configuration: {"name": "x-powered-by", "value": "proxy-wasm-as"}.
// Both keys required; anything else is an error naming the key. The name is used as given:
// Envoy lower-cases header names itself (context.cc addHeaderMapValue: LowerCaseString).
import { ConfigReader } from "../../sdk";

export class AddHeaderConfig {
  constructor(public name: string, public value: string) {}
}

/** The parsed config, or null with `error` describing the first problem. */
export class ParsedConfig {
  constructor(public config: AddHeaderConfig | null, public error: string | null) {}
}

export function parseAddHeaderConfig(text: string): ParsedConfig {
  const r = ConfigReader.parse(text);
  const name = r.string("name", true, "");
  const value = r.string("value", true, "");
  if (r.finish() && name.length == 0) r.fail("name", "must not be empty");
  const err = r.error;
  if (err !== null) return new ParsedConfig(null, err);
  return new ParsedConfig(new AddHeaderConfig(name, value), null);
}

