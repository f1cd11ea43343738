// ASCII lower-casing, as Envoy's Http::LowerCaseString does it (absl::AsciiStrToLower): only A-Z
// change. String.prototype.toLowerCase also folds non-ASCII letters ("Ä" -> "ä", "İ" -> "i̇"),
// which Envoy leaves alone, so it is used only on strings that are ASCII throughout. The one
// helper for the host and the gateway.

/** `s` with A-Z lower-cased and every other character kept; `s` itself when nothing changes. */
export function asciiLower(s: string): string {
  let upper = false;
  let ascii = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) upper = true;
    else if (c > 127) ascii = false;
  }
  if (!upper) return s;
  return ascii ? s.toLowerCase() : s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}
