// The module's exports driven directly, for call sequences Envoy can produce that the host does
// not: a root context created twice (proxy-wasm-cpp-host WasmBase::start re-runs
// ContextBase::onStart for a plugin key it already has), callbacks for ids the module never saw,
// and the host's malloc'd buffers being freed after use.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { before, test } from "node:test";
import { buildFixture } from "../../support/compile.ts";

type Fn = (...a: number[]) => number;
interface Instance {
  exports: Record<string, Fn> & { memory: WebAssembly.Memory };
  logs: string[];
}

let module: WebAssembly.Module;
before(async () => { module = new WebAssembly.Module(readFileSync(await buildFixture("test/fixtures/sdk/probe.ts"))); });

/** A bare host: every import answers Ok (0); a few write what the probe needs. */
function instantiate(rootId: string): Instance {
  const logs: string[] = [];
  let mem: WebAssembly.Memory;
  let exp: Record<string, Fn>;
  const bytes = () => new Uint8Array(mem.buffer);
  const view = () => new DataView(mem.buffer);
  const give = (data: Uint8Array, ptrPtr: number, sizePtr: number) => {
    const p = data.length ? exp.malloc(data.length) : 0;
    bytes().set(data, p);
    view().setUint32(ptrPtr, p, true);
    view().setUint32(sizePtr, data.length, true);
  };
  const special: Record<string, Fn> = {
    proxy_log: (level, ptr, len) => { logs.push(`${level}:${new TextDecoder().decode(bytes().slice(ptr, ptr + len))}`); return 0; },
    proxy_get_log_level: (ptr) => { view().setUint32(ptr, 0, true); return 0; },
    proxy_get_property: (_p, _l, ptrPtr, sizePtr) => { give(new TextEncoder().encode(rootId), ptrPtr, sizePtr); return 0; },
    proxy_get_header_map_value: (_t, _k, _kl, ptrPtr, sizePtr) => { give(new TextEncoder().encode("/"), ptrPtr, sizePtr); return 0; },
    proxy_get_buffer_bytes: (_t, _s, _l, ptrPtr, sizePtr) => { give(new Uint8Array(0), ptrPtr, sizePtr); return 0; },
    proxy_get_shared_data: () => 1,
  };
  const env: Record<string, Fn> = {};
  for (const imp of WebAssembly.Module.imports(module)) if (imp.kind === "function") env[imp.name] = special[imp.name] ?? (() => 0);
  const inst = new WebAssembly.Instance(module, { env });
  exp = inst.exports as unknown as Record<string, Fn>;
  mem = inst.exports.memory as WebAssembly.Memory;
  (exp._initialize as unknown as () => void)();
  return { exports: exp as Instance["exports"], logs };
}

test("a root context created again for the same id keeps its configured state", () => {
  const { exports: e, logs } = instantiate("probe_a");
  e.proxy_on_context_create(1, 0);
  assert.equal(e.proxy_on_vm_start(1, 0), 1);
  assert.equal(e.proxy_on_configure(1, 0), 1);
  e.proxy_on_context_create(1, 0);              // WasmBase::start for a plugin key it has
  assert.equal(e.proxy_on_vm_start(1, 0), 1);
  e.proxy_on_context_create(2, 1);
  assert.equal(e.proxy_on_request_headers(2, 4, 0), 0, "the stream uses the root's counter, defined at configure");
  assert.deepEqual(logs.filter((l) => l.startsWith("5:")), []);
});

test("callbacks for ids the module never created answer Continue and do not trap", () => {
  const { exports: e } = instantiate("probe_a");
  assert.equal(e.proxy_on_request_headers(42, 1, 0), 0);
  assert.equal(e.proxy_on_response_body(42, 10, 1), 0);
  assert.equal(e.proxy_on_downstream_data(42, 10, 0), 0);
  e.proxy_on_http_call_response(42, 7, 0, 0, 0);
  e.proxy_on_grpc_close(42, 7, 14);
  e.proxy_on_log(42);
  assert.equal(e.proxy_on_done(42), 1);
  e.proxy_on_delete(42);
  assert.equal(e.proxy_on_configure(42, 0), 0, "configure of an unknown root refuses");
});

test("host-allocated buffers are freed: 100,000 streams reading :path through malloc leave memory where it was", () => {
  const { exports: e } = instantiate("probe_a");
  e.proxy_on_context_create(1, 0);
  e.proxy_on_configure(1, 0);
  const pages = e.memory.buffer.byteLength;
  for (let i = 0; i < 100_000; i++) {
    e.proxy_on_context_create(1000 + i, 1);      // each reads :path through malloc'd memory
    e.proxy_on_request_headers(1000 + i, 4, 0);
    e.proxy_on_delete(1000 + i);
  }
  assert.equal(e.memory.buffer.byteLength, pages);
});
