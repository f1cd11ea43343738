// Header names are lower-cased as Envoy's Http::LowerCaseString does (absl::AsciiStrToLower):
// A-Z only. A name the module or the driver writes with other letters keeps them, so a lookup by
// the name Envoy would store finds it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { asciiLower } from "../../../envoy-test/host/ascii.ts";
import { lowerHeaders, lowerKey } from "../../../envoy-test/host/header-map.ts";

test("header keys lower only A-Z; other letters stay as written", () => {
  assert.equal(lowerKey("X-İD-Ä"), "x-İd-Ä");
  assert.equal(lowerKey("x-already"), "x-already");
  assert.equal(lowerKey("Content-Type"), "content-type");
  assert.deepEqual(lowerHeaders([["X-Ünicode-A", "v"], ["host", "h"]]), [["x-Ünicode-a", "v"], ["host", "h"]]);
  assert.equal(asciiLower("KELVIN-\u212A"), "kelvin-\u212A", "the Kelvin sign is not folded to k");
});
