// The host's import graph (type imports included): the only circle is the VM and its contexts,
// which refer to each other as cpp-host's WasmBase and ContextBase do; the process-wide state
// (process.ts) reaches no VM, context or stream module.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

const dir = join(import.meta.dirname, "../../../envoy-test/host");
const graph = new Map<string, string[]>();
for (const f of readdirSync(dir).filter((n) => n.endsWith(".ts"))) {
  const src = readFileSync(join(dir, f), "utf8");
  graph.set(f, [...src.matchAll(/^(?:import|export)\s[^;]*?from\s+"\.\/([^"]+)"/gm)].map((m) => m[1]));
}

/** Strongly connected components with more than one file (Tarjan). */
function circles(): string[][] {
  let next = 0;
  const index = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], on = new Set<string>(), out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next); low.set(v, next); next++; stack.push(v); on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const c: string[] = [];
      let w: string;
      do { w = stack.pop()!; on.delete(w); c.push(w); } while (w !== v);
      if (c.length > 1) out.push(c.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

function reach(from: string): Set<string> {
  const seen = new Set<string>();
  const walk = (v: string) => { for (const w of graph.get(v) ?? []) if (!seen.has(w)) { seen.add(w); walk(w); } };
  walk(from);
  return seen;
}

test("the only import circle in envoy-test/host is vm.ts <-> context.ts", () => {
  assert.deepEqual(circles(), [["context.ts", "vm.ts"]]);
});

test("process.ts is a leaf: it reaches no VM, context, stream, plugin or host module", () => {
  assert.ok(graph.has("process.ts"), "envoy-test/host/process.ts holds the process-wide state");
  const reached = reach("process.ts");
  for (const f of ["vm.ts", "context.ts", "http-stream.ts", "tcp-connection.ts", "plugin.ts", "host.ts", "hostcalls.ts", "callouts.ts"]) {
    assert.equal(reached.has(f), false, `process.ts reaches ${f} (through ${[...reached].join(", ")})`);
  }
});
