// The env.* host functions of ABI 0.2.1 (and 0.1.0 / 0.2.0 extras), with the argument checks and
// results of proxy-wasm-cpp-host src/exports.cc. As exports.cc, this file marshals: it reads and
// bounds-checks the module's arguments, calls the semantics (Envoy's context.cc) kept elsewhere
// (header-map.ts, buffers.ts, metrics.ts, process.ts, callouts.ts, the contexts), and writes
// results. Every pointer from the module is bounds-checked (InvalidMemoryAccess), every enum
// range-checked (BadArgument); nothing here throws on bad input.
import { BufferType, LogLevel, MapType, StreamType, WasmResult } from "./abi.ts";
import { copyFrom } from "./buffers.ts";
import { decodePairs, serializePairsScratch, utf8 } from "./codec.ts";
import { addHeader, byteSize, firstValue, lowerKey as lower, removeHeader, replaceHeader, setPairs } from "./header-map.ts";
import { splitPath } from "./properties.ts";
import { localResponse } from "./context.ts";
import type { WasmVm } from "./vm.ts";
import { LOG_LEVEL_NAMES } from "./types.ts";
import type { ContextBase } from "./context.ts";
import { startGrpcCall, startGrpcStream, startHttpCall, grpcSend, grpcClose, grpcCancel } from "./callouts.ts";
import { deleteRoot } from "./plugin.ts";
import { tickPeriod } from "./ticks.ts";
import type { HeaderList } from "./types.ts";

const R = WasmResult;
const MAX_MAP = MapType.HttpCallResponseTrailers;
const MAX_BUFFER = BufferType.CallData;

export function buildEnv(vm: WasmVm): Record<string, (...args: never[]) => unknown> {
  const mem = () => vm.mem;
  const ctx = (): ContextBase => vm.context()!;
  const str = (p: number, n: number): string | null => vm.mem.text(p, n);
  /** proxy_add_/proxy_replace_header_map_value: the same checks, then `edit` on the lower-cased key. */
  const setHeaderValue = (edit: (map: HeaderList, key: string, value: string) => void,
    type: number, kp: number, ks: number, vp: number, vs: number): number => {
    if (type >>> 0 > MAX_MAP) return R.BadArgument;
    const k = str(kp, ks), v = str(vp, vs);
    if (k === null || v === null) return R.InvalidMemoryAccess;
    const c = ctx();
    const map = c.mutableMap(type);
    if (!map) return R.BadArgument;
    edit(map, lower(k), v);
    c.onHeadersModified(type);
    return R.Ok;
  };

  return {
    proxy_log(level: number, ptr: number, size: number): number {
      if (level >>> 0 > LogLevel.Critical) return R.BadArgument;
      const m = str(ptr, size);
      if (m === null) return R.InvalidMemoryAccess;
      const c = ctx();
      if (level >= vm.process.logLevel) vm.log(LOG_LEVEL_NAMES[level], m, c ? c.contextId : 0);
      return R.Ok;
    },
    proxy_get_log_level(ptr: number): number {
      return mem().setU32(ptr, vm.process.logLevel) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_get_status(codePtr: number, ptrPtr: number, sizePtr: number): number {
      const root = ctx().root;
      if (!mem().setU32(codePtr, root.statusCode)) return R.InvalidMemoryAccess;
      return vm.copyOut(utf8(root.statusMessage), ptrPtr, sizePtr) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_set_property(kp: number, ks: number, vp: number, vs: number): number {
      const k = str(kp, ks), v = mem().copy(vp, vs);
      if (k === null || !v) return R.InvalidMemoryAccess;
      return ctx().setProperty(k, v);
    },
    proxy_get_property(pp: number, ps: number, ptrPtr: number, sizePtr: number): number {
      const path = mem().view(pp, ps);
      if (!path) return R.InvalidMemoryAccess;
      const parts = splitPath(path);
      // Context::getProperty: an empty path never leaves the loop's start, so the null CelValue
      // it holds goes to serializeValue, which answers SerializationFailure.
      if (parts.length === 0) return R.SerializationFailure;
      const value = ctx().property(parts);
      if (value === null) return R.NotFound;
      return vm.copyOut(value, ptrPtr, sizePtr) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_send_local_response(status: number, dp: number, ds: number, bp: number, bs: number, hp: number, hs: number, grpc: number): number {
      const details = str(dp, ds), body = mem().copy(bp, bs), hdrs = mem().view(hp, hs);
      if (details === null || !body || !hdrs) return R.InvalidMemoryAccess;
      ctx().sendLocalResponse(localResponse(status >>> 0, details, body, decodePairs(hdrs), grpc | 0));
      // cpp-host exports.cc send_local_response: stopNextIteration(true), so the callback's status becomes a stop.
      vm.stopNextIteration = true;
      return R.Ok;
    },
    proxy_get_shared_data(kp: number, ks: number, ptrPtr: number, sizePtr: number, casPtr: number): number {
      const k = str(kp, ks);
      if (k === null) return R.InvalidMemoryAccess;
      const e = vm.process.sharedData(vm.vmId).get(k);
      if (!e) return R.NotFound;
      if (!vm.copyOut(e.value, ptrPtr, sizePtr)) return R.InvalidMemoryAccess;
      return mem().setU32(casPtr, e.cas) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_set_shared_data(kp: number, ks: number, vp: number, vs: number, cas: number): number {
      const k = str(kp, ks), v = mem().copy(vp, vs);
      if (k === null || !v) return R.InvalidMemoryAccess;
      return vm.process.setSharedData(vm.vmId, k, v, cas >>> 0);
    },
    proxy_register_shared_queue(np: number, ns: number, tokenPtr: number): number {
      const n = str(np, ns);
      if (n === null) return R.InvalidMemoryAccess;
      const contextId = ctx().root.contextId;
      // ContextBase::onQueueReady on the registering root context, on its own worker VM.
      const token = vm.process.queues.register(vm.vmId, n, (t) => {
        const root = vm.contexts.get(contextId);
        const f = vm.fns.proxy_on_queue_ready;
        if (root && !vm.failed && f) vm.call(root, "proxy_on_queue_ready", f, contextId, t);
      });
      return mem().setU32(tokenPtr, token) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_resolve_shared_queue(vp: number, vs: number, np: number, ns: number, tokenPtr: number): number {
      const vmId = str(vp, vs), n = str(np, ns);
      if (vmId === null || n === null) return R.InvalidMemoryAccess;
      const token = vm.process.queues.resolve(vmId === "" ? vm.vmId : vmId, n);
      if (token === 0 || vm.failed) return R.NotFound;
      return mem().setU32(tokenPtr, token) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_dequeue_shared_queue(token: number, ptrPtr: number, sizePtr: number): number {
      const r = vm.process.queues.dequeue(token >>> 0);
      if (typeof r === "number") return r;
      return vm.copyOut(r, ptrPtr, sizePtr) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_enqueue_shared_queue(token: number, dp: number, ds: number): number {
      const d = mem().copy(dp, ds);
      if (!d) return R.InvalidMemoryAccess;
      return vm.process.queues.enqueue(token >>> 0, d);
    },
    proxy_get_header_map_value(type: number, kp: number, ks: number, ptrPtr: number, sizePtr: number): number {
      if (type >>> 0 > MAX_MAP) return R.BadArgument;
      const k = str(kp, ks);
      if (k === null) return R.InvalidMemoryAccess;
      const c = ctx();
      const map = c.constMap(type);
      // Envoy: maps missing in the access-log phase are NotFound, otherwise BadArgument.
      if (!map) return c.inLogPhase() ? R.NotFound : R.BadArgument;
      const value = firstValue(map, lower(k));
      if (value !== null) return vm.copyOutText(value, ptrPtr, sizePtr) ? R.Ok : R.InvalidMemoryAccess;
      if (vm.abi === "0_1_0") return vm.copyOut(new Uint8Array(0), ptrPtr, sizePtr) ? R.Ok : R.InvalidMemoryAccess;
      return R.NotFound;
    },
    proxy_add_header_map_value(type: number, kp: number, ks: number, vp: number, vs: number): number {
      return setHeaderValue(addHeader, type, kp, ks, vp, vs);
    },
    proxy_replace_header_map_value(type: number, kp: number, ks: number, vp: number, vs: number): number {
      return setHeaderValue(replaceHeader, type, kp, ks, vp, vs);
    },
    proxy_remove_header_map_value(type: number, kp: number, ks: number): number {
      if (type >>> 0 > MAX_MAP) return R.BadArgument;
      const k = str(kp, ks);
      if (k === null) return R.InvalidMemoryAccess;
      const c = ctx();
      const map = c.mutableMap(type);
      if (!map) return R.BadArgument;
      removeHeader(map, lower(k));
      c.onHeadersModified(type);
      return R.Ok;
    },
    proxy_get_header_map_pairs(type: number, ptrPtr: number, sizePtr: number): number {
      if (type >>> 0 > MAX_MAP) return R.BadArgument;
      const map = ctx().constMap(type);
      // Envoy: an unavailable map reads as no pairs; no pairs copy out as (0, 0).
      if (!map || map.length === 0) return vm.mem.setU32Pair(ptrPtr, 0, sizePtr, 0) ? R.Ok : R.InvalidMemoryAccess;
      // Serialised once into the host's scratch (learning the byte lengths), then one block of
      // exactly that size and one copy; the memory views are re-read after malloc, which may grow memory.
      const ser = serializePairsScratch(map);
      return vm.copyOut(ser, ptrPtr, sizePtr) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_set_header_map_pairs(type: number, ptr: number, size: number): number {
      if (type >>> 0 > MAX_MAP) return R.BadArgument;
      const d = mem().view(ptr, size);
      if (!d) return R.InvalidMemoryAccess;
      const c = ctx();
      const map = c.mutableMap(type);
      if (!map) return R.BadArgument;
      setPairs(map, decodePairs(d));
      c.onHeadersModified(type);
      return R.Ok;
    },
    proxy_get_header_map_size(type: number, resultPtr: number): number {
      if (type >>> 0 > MAX_MAP) return R.BadArgument;
      const map = ctx().mutableMap(type);
      if (!map) return R.BadArgument;
      return mem().setU32(resultPtr, byteSize(map)) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_get_buffer_status(type: number, lengthPtr: number, flagsPtr: number): number {
      if (type >>> 0 > MAX_BUFFER) return R.BadArgument;
      const b = ctx().buffer(type);
      if (!b) return R.NotFound;
      return vm.mem.setU32Pair(lengthPtr, b.length, flagsPtr, 0) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_get_buffer_bytes(type: number, start: number, length: number, ptrPtr: number, sizePtr: number): number {
      if (type >>> 0 > MAX_BUFFER) return R.BadArgument;
      const b = ctx().buffer(type);
      if (!b) return R.NotFound;
      start >>>= 0; length >>>= 0;
      if (start > b.length) length = 0;
      else if (start + length > b.length) length = b.length - start;
      // The common case (the whole chunk) copies from the buffer itself, with no view made.
      return vm.copyOutRange(b, start, length, ptrPtr, sizePtr) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_set_buffer_bytes(type: number, start: number, length: number, dp: number, ds: number): number {
      if (type >>> 0 > MAX_BUFFER) return R.BadArgument;
      const c = ctx();
      const b = c.buffer(type);
      if (!b) return R.NotFound;
      const d = mem().view(dp, ds);
      if (!d) return R.InvalidMemoryAccess;
      // The module's bytes are copied out of linear memory into the new buffer (buffers.ts).
      const next = copyFrom(b, start >>> 0, length >>> 0, d);
      return next ? c.setBuffer(type, next) : R.BadArgument;
    },
    proxy_http_call(up: number, us: number, hp: number, hs: number, bp: number, bs: number, tp: number, ts: number, timeout: number, tokenPtr: number): number {
      const cluster = str(up, us), body = mem().copy(bp, bs), h = mem().view(hp, hs), t = mem().view(tp, ts);
      if (cluster === null || !body || !h || !t) return R.InvalidMemoryAccess;
      if (!mem().setU32(tokenPtr, 0)) return R.InvalidMemoryAccess;
      const r = startHttpCall(vm, ctx().root, cluster, decodePairs(h), body, decodePairs(t), timeout | 0);
      if (typeof r === "number") return r;
      mem().setU32(tokenPtr, r.token);
      return R.Ok;
    },
    proxy_grpc_call(sp: number, ss: number, np: number, ns: number, mp: number, ms: number, ip: number, is: number, rp: number, rs: number, timeout: number, tokenPtr: number): number {
      const service = mem().copy(sp, ss), sn = str(np, ns), mn = str(mp, ms), md = mem().view(ip, is), req = mem().copy(rp, rs);
      if (!service || sn === null || mn === null || !md || !req) return R.InvalidMemoryAccess;
      const r = startGrpcCall(vm, ctx().root, service, sn, mn, decodePairs(md), req, timeout >>> 0);
      if (typeof r === "number") return r;
      return mem().setU32(tokenPtr, r.token) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_grpc_stream(sp: number, ss: number, np: number, ns: number, mp: number, ms: number, ip: number, is: number, tokenPtr: number): number {
      const service = mem().copy(sp, ss), sn = str(np, ns), mn = str(mp, ms), md = mem().view(ip, is);
      if (!service || sn === null || mn === null || !md) return R.InvalidMemoryAccess;
      const r = startGrpcStream(vm, ctx().root, service, sn, mn, decodePairs(md));
      if (typeof r === "number") return r;
      return mem().setU32(tokenPtr, r.token) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_grpc_send(token: number, mp: number, ms: number, endStream: number): number {
      const m = mem().copy(mp, ms);
      if (!m) return R.InvalidMemoryAccess;
      return grpcSend(vm, token >>> 0, m, endStream !== 0);
    },
    proxy_grpc_close(token: number): number { return grpcClose(vm, token >>> 0); },
    proxy_grpc_cancel(token: number): number { return grpcCancel(vm, token >>> 0); },
    proxy_set_tick_period_milliseconds(period: number): number {
      tickPeriod(vm, ctx().root, period >>> 0);
      return R.Ok;
    },
    proxy_get_current_time_nanoseconds(ptr: number): number {
      return mem().setU64(ptr, vm.process.clock.realtimeNs()) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_define_metric(type: number, np: number, ns: number, idPtr: number): number {
      const name = str(np, ns);
      if (name === null) return R.InvalidMemoryAccess;
      const { result, id } = vm.metrics.define(type, name);
      if (result !== R.Ok) return result;
      return mem().setU32(idPtr, id) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_increment_metric(id: number, offset: bigint): number {
      return vm.metrics.increment(id >>> 0, offset);
    },
    proxy_record_metric(id: number, value: bigint): number {
      return vm.metrics.record(id >>> 0, value);
    },
    proxy_get_metric(id: number, resultPtr: number): number {
      const { result, value } = vm.metrics.get(id >>> 0);
      if (result !== R.Ok) return result;
      return mem().setU64(resultPtr, value) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_set_effective_context(id: number): number {
      id >>>= 0;
      if (!vm.contexts.has(id)) return R.BadArgument;
      vm.effectiveId = id;
      return R.Ok;
    },
    proxy_done(): number {
      const root = ctx().root;
      if (!root.pendingDone) return R.NotFound;
      root.pendingDone = false;
      vm.afterCall(() => deleteRoot(root));
      return R.Ok;
    },
    proxy_call_foreign_function(np: number, ns: number, ap: number, as: number, resPtr: number, resSizePtr: number): number {
      const name = str(np, ns);
      if (name === null) return R.InvalidMemoryAccess;
      const args = mem().copy(ap, as);
      if (!args) return R.InvalidMemoryAccess;
      const f = vm.process.foreignFunctions.get(name);
      if (!f) return R.NotFound;
      const c = ctx();
      const out = f(args, { stream: c.kind === "root" ? null : c, contextId: c.contextId, worker: vm.worker, plugin: c.plugin });
      const data = out.data ?? new Uint8Array(0);
      let address = 0;
      if (resPtr !== 0 && data.length > 0) {
        address = vm.allocate(data.length);
        if (address === 0) return R.InvalidMemoryAccess;
        vm.mem.write(address, data);
      }
      if (resPtr !== 0 && !mem().setU32(resPtr, address)) return R.InvalidMemoryAccess;
      if (resSizePtr !== 0 && !mem().setU32(resSizePtr, data.length)) return R.InvalidMemoryAccess;
      return out.result;
    },
    proxy_continue_stream(type: number): number {
      if (type >>> 0 > StreamType.Upstream) return R.BadArgument;
      return ctx().continueStream(type);
    },
    proxy_close_stream(type: number): number {
      if (type >>> 0 > StreamType.Upstream) return R.BadArgument;
      return ctx().closeStream(type);
    },
    // ABI 0.1.0 names.
    proxy_get_configuration(ptrPtr: number, sizePtr: number): number {
      const root = ctx().root;
      const v = root.tempPluginConfiguration ?? vm.vmConfiguration;
      return vm.copyOut(v, ptrPtr, sizePtr) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_continue_request(): number { return ctx().continueStream(StreamType.HttpRequest); },
    proxy_continue_response(): number { return ctx().continueStream(StreamType.HttpResponse); },
    proxy_clear_route_cache(): number { ctx().clearRouteCache(); return R.Ok; },
    pthread_equal(a: number, b: number): number { return a === b ? 1 : 0; },
    emscripten_notify_memory_growth(_i: number): void {},
  } as unknown as Record<string, (...args: never[]) => unknown>;
}
