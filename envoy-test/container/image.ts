// The Envoy image, read from envoy-test/container/.env: the single pin shared with docker compose
// (which loads .env from the compose file's directory for ${ENVOY_IMAGE}).
import { readFileSync } from "node:fs";

const ENV_FILE = new URL("./.env", import.meta.url);

function readPin(): string {
  const text = readFileSync(ENV_FILE, "utf8");
  const m = /^ENVOY_IMAGE=(\S+)$/m.exec(text);
  if (!m) throw new Error(`${ENV_FILE.pathname}: no ENVOY_IMAGE=<image:tag> line`);
  return m[1];
}

export const ENVOY_IMAGE: string = readPin();
