// RE2 regular expressions, as Envoy compiles them for `safe_regex` (source/common/common/regex.cc,
// CompiledGoogleReMatcher: RE2::FullMatch) and for the admin's `/stats?filter=`
// (source/server/admin/stats_params.cc, StatsParams::parse: RE2 with log_errors off, PartialMatch).
// RE2 matches in time linear in the input and refuses what it cannot do in linear time
// (lookaround, backreferences, repeat counts above 1000), so a JavaScript RegExp, which
// backtracks and accepts those, would both hang where Envoy does not and accept what Envoy refuses.
//
// re2js is the pure-JavaScript port of RE2 (through RE2/J): the same syntax and the same linear
// automata, no native build step (the `re2` package needs node-gyp) and no wasm module to load;
// it is maintained and MIT licensed.
import { RE2JS } from "re2js";

export interface Re2 {
  /** RE2::PartialMatch: the pattern matches somewhere in s. */
  find(s: string): boolean;
  /** RE2::FullMatch: the pattern matches all of s. */
  fullMatch(s: string): boolean;
  /** RE2's ProgramSize as re2js counts it (RE2/J's instruction count, close to C++ RE2's). */
  readonly programSize: number;
}

/** Envoy's default `re2.max_program_size.error_level` (regex.cc): a safe_regex whose program
 *  is larger is refused when the config loads. */
export const ENVOY_MAX_PROGRAM_SIZE = 100;

/** Compiles with RE2 semantics; throws an Error with RE2's message when RE2 refuses the pattern. */
export function compileRe2(pattern: string): Re2 {
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern);
  } catch (e) {
    throw new Error((e as Error).message);
  }
  return {
    find: (s) => re.matcher(s).find(),
    fullMatch: (s) => re.matches(s),
    programSize: re.programSize(),
  };
}

/** Why RE2 refuses `pattern`, or undefined when it compiles. */
export function re2Error(pattern: string): string | undefined {
  try {
    RE2JS.compile(pattern);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}
