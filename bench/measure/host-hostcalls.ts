// Measurement (not a test: prints numbers): the host's own cost of the hot hostcalls, isolated from
// any SDK. Each case is a hand-written module whose callback makes one hostcall (with a bump
// allocator, so the module's malloc costs next to nothing); the no-op case is the same callback
// doing nothing. CPU time per call, median of alternating rounds (the machine is shared).
//   node --import tsx bench/measure/host-hostcalls.ts [calls per round, default 200000]
import { Host, type HeaderList, type HttpStream } from "../../envoy-test/host/index.ts";
import { assemble } from "../support/wat.ts";

const CALLS = Number(process.argv[2] ?? 200_000);
const ROUNDS = 9;

// The callback body of each case; (local.get 1) is the body size or header count.
const BODY_CASES: Record<string, string> = {
  "body no-op": "",
  "body get_buffer_status": "(drop (call $status (i32.const 1) (i32.const 8) (i32.const 12)))",
  "body get_buffer_bytes (whole 1 KiB chunk)": "(drop (call $bytes (i32.const 1) (i32.const 0) (local.get 1) (i32.const 8) (i32.const 12)))",
  "body get_buffer_bytes + set_buffer_bytes (append 16 B)": "(drop (call $bytes (i32.const 1) (i32.const 0) (local.get 1) (i32.const 8) (i32.const 12))) (drop (call $set (i32.const 1) (i32.const -1) (i32.const 0) (i32.const 16) (i32.const 16)))",
};
const HEADER_CASES: Record<string, string> = {
  "headers no-op": "",
  "headers get_header_map_pairs (7 headers)": "(drop (call $pairs (i32.const 0) (i32.const 8) (i32.const 12)))",
  "headers get_header_map_value": "(drop (call $get (i32.const 0) (i32.const 48) (i32.const 7) (i32.const 8) (i32.const 12)))",
  "headers add_header_map_value": "(drop (call $add (i32.const 0) (i32.const 16) (i32.const 5) (i32.const 32) (i32.const 6)))",
  "headers replace_header_map_value": "(drop (call $replace (i32.const 0) (i32.const 48) (i32.const 7) (i32.const 32) (i32.const 6)))",
};

function module(bodyOp: string, headersOp: string): string {
  return `(module
  (import "env" "proxy_get_buffer_status" (func $status (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_buffer_bytes" (func $bytes (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_buffer_bytes" (func $set (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_pairs" (func $pairs (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_value" (func $get (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_add_header_map_value" (func $add (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_replace_header_map_value" (func $replace (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 4)
  (data (i32.const 16) "hello0123456789x")
  (data (i32.const 32) "world!")
  (data (i32.const 48) "x-trace")
  (global $brk (mut i32) (i32.const 1024))
  (func (export "malloc") (param $n i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $brk))
    (global.set $brk (i32.and (i32.add (i32.add (local.get $p) (local.get $n)) (i32.const 7)) (i32.const -8)))
    (if (i32.gt_u (global.get $brk) (i32.const 200000)) (then (global.set $brk (i32.const 1024)) (local.set $p (i32.const 1024))))
    (local.get $p))
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) ${headersOp} (i32.const 0))
  (func (export "proxy_on_response_body") (param i32 i32 i32) (result i32) ${bodyOp} (i32.const 0))
  (func (export "proxy_on_done") (param i32) (result i32) (i32.const 1))
  (func (export "proxy_on_delete") (param i32)))`;
}

const REQ: HeaderList = [[":method", "GET"], [":path", "/messages"], [":authority", "wss.example.com"], [":scheme", "https"],
  ["upgrade", "websocket"], ["connection", "Upgrade"], ["x-trace", "abc123"]];
const CHUNK = new Uint8Array(1024).fill(0x61);

type Run = (n: number) => void;

async function stream(wat: string): Promise<HttpStream> {
  const host = new Host({ recordLogs: false });
  const p = await host.loadPlugin({ wasm: await assemble(wat), rootId: "", workers: 1 });
  return p.createHttpStream({ worker: 0 });
}

function cpuNs(run: Run): number {
  const c0 = process.cpuUsage();
  run(CALLS);
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) * 1000) / CALLS;
}

async function group(title: string, cases: Record<string, Run>): Promise<void> {
  const names = Object.keys(cases);
  const times: number[][] = names.map(() => []);
  for (const n of names) cases[n](CALLS);           // warm-up
  for (let r = 0; r < ROUNDS; r++) names.forEach((n, i) => times[i].push(cpuNs(cases[n])));
  const med = (x: number[]) => [...x].sort((a, b) => a - b)[x.length >> 1];
  const base = med(times[0]);
  console.log(`${title} (CPU ns per callback, median of ${ROUNDS} rounds x ${CALLS})`);
  names.forEach((n, i) => console.log(`  ${n.padEnd(56)} ${med(times[i]).toFixed(0).padStart(5)} ns  (+${(med(times[i]) - base).toFixed(0)})`));
}

const body: Record<string, Run> = {};
for (const [name, op] of Object.entries(BODY_CASES)) {
  const s = await stream(module(op, ""));
  s.callOnRequestHeaders(REQ, false);
  body[name] = (n) => { for (let i = 0; i < n; i++) s.callOnResponseBody(CHUNK, false); };
}
await group("response body callback, 1 KiB chunk", body);

const headers: Record<string, Run> = {};
for (const [name, op] of Object.entries(HEADER_CASES)) {
  const s = await stream(module("", op));
  // The same stream is re-driven: each call hands over a fresh header list (the caller's array,
  // copied by the host on the filter's first change, as a codec would hand Envoy a new map).
  headers[name] = (n) => { for (let i = 0; i < n; i++) s.callOnRequestHeaders(REQ, false); };
}
await group("request headers callback, 7 headers", headers);
