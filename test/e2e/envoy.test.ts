// Every test in test/e2e (and test/gateway/targets.test.ts) runs against the proxy E2E_TARGET
// names: the local gateway by default, real Envoy in a container with E2E_TARGET=envoy (what
// .ci/run does wherever a container runtime answers). Under plain `npm test` this file makes the
// Envoy run visible as one skipped test with its reason, instead of a silent absence.
import { test } from "node:test";
import { envoySkipReason } from "./envoy-target.ts";

const reason = await envoySkipReason();
if (reason) test("the end-to-end suite on real Envoy (envoyproxy/envoy container)", { skip: reason }, () => {});
