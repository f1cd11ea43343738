// Body, TCP data, callout response, gRPC message and configuration buffers.
// proxy_set_buffer_bytes follows Envoy's rules (source/extensions/common/wasm/context.cc,
// Buffer::copyFrom): start = 0 replaces the first `length` bytes (length 0: prepend);
// start >= current size appends; anything else is BadArgument.
import { proxy_get_buffer_bytes, proxy_get_buffer_status, proxy_set_buffer_bytes } from "./bindings";
import { BufferType, WasmResult } from "./enums";
import { clearReturn, freeHost, RET_PTR, RET_SIZE, takeReturnedBytes } from "./memory";
import { setLastResult } from "./status";

export class BufferStatus {
  constructor(public length: usize, public flags: u32) {}
}

/** Host-allocated bytes handed over without a copy. The caller owns them: call freeBytes(ptr). */
export class RawBytes {
  constructor(public ptr: usize, public len: usize) {}
}

/** Frees bytes obtained from Buffer.getRaw. */
export function freeBytes(ptr: usize): void {
  freeHost(ptr);
}

/** Length of the bytes the last getRawPtr returned. */
let rawLen: usize = 0;

/** The length of the bytes the last Buffer.getRawPtr call returned (0 when it returned 0). */
export function rawLength(): usize { return rawLen; }

/** Largest value representable as the ABI's u32 length ("to the end" for get). */
const ALL: usize = <usize>u32.MAX_VALUE;

/** One buffer of the current context (request body, TCP data, callout response, ...).
 *  Valid only in the callbacks where Envoy has that buffer (see each constant below); elsewhere
 *  the host answers NotFound / BadArgument and getters return null. */
// @unmanaged: the instances are the immortal module constants below (bufferOf picks
// one by type); the collector need not trace them. Constructing more would leak: do not.
@final @unmanaged
export class Buffer {
  constructor(readonly type: BufferType) {}

  /** Length and flags, or null when the buffer does not exist in this callback. */
  status(): BufferStatus | null {
    clearReturn();
    const r = proxy_get_buffer_status(<u32>this.type, RET_PTR, RET_SIZE);
    setLastResult(r);
    if (r != WasmResult.Ok) return null;
    return new BufferStatus(<usize>load<u32>(RET_PTR), load<u32>(RET_SIZE));
  }

  /** A copy of bytes [start, start+length) (clipped to the buffer), or null when absent.
   *  Pass length = usize.MAX_VALUE (or the size the callback reported) for the whole buffer. */
  get(start: usize, length: usize): ArrayBuffer | null {
    clearReturn();
    const r = proxy_get_buffer_bytes(<u32>this.type, <u32>start, <u32>min(length, ALL), RET_PTR, RET_SIZE);
    setLastResult(r);
    if (r != WasmResult.Ok) { freeHost(<usize>load<u32>(RET_PTR)); return null; }
    return takeReturnedBytes();
  }

  /** Unsafe, zero-copy: the host-allocated bytes; the caller must call freeBytes(ptr). */
  getRaw(start: usize, length: usize): RawBytes | null {
    clearReturn();
    const r = proxy_get_buffer_bytes(<u32>this.type, <u32>start, <u32>min(length, ALL), RET_PTR, RET_SIZE);
    setLastResult(r);
    const ptr = <usize>load<u32>(RET_PTR);
    if (r != WasmResult.Ok) { freeHost(ptr); return null; }
    return new RawBytes(ptr, <usize>load<u32>(RET_SIZE));
  }

  /** Unsafe, zero-copy and allocation-free (for per-chunk paths): a pointer to the
   *  host-allocated bytes [start, start+length) (clipped), their length in rawLength(); 0 when
   *  the buffer is absent (lastResult() says why) or the range is empty. The caller must call
   *  freeBytes(ptr) when done (0 is ignored). Valid where get() is. */
  getRawPtr(start: usize, length: usize): usize {
    clearReturn();
    const r = proxy_get_buffer_bytes(<u32>this.type, <u32>start, <u32>min(length, ALL), RET_PTR, RET_SIZE);
    setLastResult(r);
    const ptr = <usize>load<u32>(RET_PTR);
    if (r != WasmResult.Ok) { freeHost(ptr); rawLen = 0; return 0; }
    rawLen = <usize>load<u32>(RET_SIZE);
    return ptr;
  }

  /** The whole buffer as UTF-8 text ("" when absent or empty). */
  getText(): string {
    const b = this.get(0, ALL);
    return b === null ? "" : String.UTF8.decode(b, false);
  }

  /** Envoy's set rules: start 0 replaces the first `length` bytes (0: prepend), start >= size
   *  appends, anything else is BadArgument. Valid in the body/data callback that owns the buffer. */
  set(start: usize, length: usize, data: ArrayBuffer): WasmResult {
    const r = proxy_set_buffer_bytes(<u32>this.type, <u32>start, <u32>length, changetype<usize>(data), <usize>data.byteLength);
    setLastResult(r);
    return <WasmResult>r;
  }

  /** Adds bytes after the current contents. */
  append(data: ArrayBuffer): WasmResult {
    return this.set(ALL, 0, data);
  }

  /** Adds bytes before the current contents. */
  prepend(data: ArrayBuffer): WasmResult {
    return this.set(0, 0, data);
  }

  /** Replaces the whole contents. Drains exactly the current length (read with
   *  proxy_get_buffer_status) rather than "everything", so no host sees a length past the end. */
  replace(data: ArrayBuffer): WasmResult {
    clearReturn();
    const r = proxy_get_buffer_status(<u32>this.type, RET_PTR, RET_SIZE);
    if (r != WasmResult.Ok) { setLastResult(r); return <WasmResult>r; }
    return this.set(0, <usize>load<u32>(RET_PTR), data);
  }
}

/** Valid in onRequestBody. */
export const requestBody = new Buffer(BufferType.HttpRequestBody);
/** Valid in onResponseBody. */
export const responseBody = new Buffer(BufferType.HttpResponseBody);
/** Valid in TcpContext.onDownstreamData. */
export const downstreamData = new Buffer(BufferType.DownstreamData);
/** Valid in TcpContext.onUpstreamData. */
export const upstreamData = new Buffer(BufferType.UpstreamData);
/** Valid in HttpCallHandler.onResponse. */
export const httpCallResponseBody = new Buffer(BufferType.HttpCallResponseBody);
/** Valid in GrpcCallHandler/GrpcStreamHandler.onReceive. */
export const grpcReceiveBuffer = new Buffer(BufferType.GrpcReceiveBuffer);
/** Valid in RootContext.onVmStart. */
export const vmConfiguration = new Buffer(BufferType.VmConfiguration);
/** Valid in RootContext.onConfigure. */
export const pluginConfiguration = new Buffer(BufferType.PluginConfiguration);
/** Valid in RootContext.onForeignFunction. */
export const foreignFunctionArguments = new Buffer(BufferType.CallData);

/** The buffer constant for a BufferType (Buffer objects are immortal: use these, never `new`). */
export function bufferOf(type: BufferType): Buffer {
  switch (type) {
    case BufferType.HttpRequestBody: return requestBody;
    case BufferType.HttpResponseBody: return responseBody;
    case BufferType.DownstreamData: return downstreamData;
    case BufferType.UpstreamData: return upstreamData;
    case BufferType.HttpCallResponseBody: return httpCallResponseBody;
    case BufferType.GrpcReceiveBuffer: return grpcReceiveBuffer;
    case BufferType.VmConfiguration: return vmConfiguration;
    case BufferType.PluginConfiguration: return pluginConfiguration;
  }
  return foreignFunctionArguments;
}
