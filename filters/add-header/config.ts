// add-header's plugin configuration: {"name": "x-powered-by", "value": "proxy-wasm-as"}.
// Both keys required; anything else is an error naming the key. The name is used as given:
// Envoy lower-cases header names itself (context.cc addHeaderMapValue: LowerCaseString).
import { ConfigReader } from "../../sdk";
import { utf8Encode } from "../../sdk/utf8";

/** The header, encoded once as the UTF-8 bytes the ABI carries (no encoding per response). */
export class AddHeaderConfig {
  constructor(public name: ArrayBuffer, public value: ArrayBuffer) {}
}

/** The parsed config, or null with sdk/config's configError() describing the first problem. */
export function parseAddHeaderConfig(text: string): AddHeaderConfig | null {
  const r = ConfigReader.parse(text);
  const name = r.string("name", true, "");
  const value = r.string("value", true, "");
  if (r.finish() && name.length == 0) r.fail("name", "must not be empty");
  if (r.error !== null) return null;
  return new AddHeaderConfig(utf8Encode(name), utf8Encode(value));
}
