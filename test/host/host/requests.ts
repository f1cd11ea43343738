// Request headers for the host tests.

/** Request headers a client sends, as Envoy hands them to the filter. */
export function get(path: string): [string, string][] {
  return [[":method", "GET"], [":path", path], [":authority", "example.com"], [":scheme", "http"]];
}
