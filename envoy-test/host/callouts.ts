// HTTP and gRPC callouts, owned by the root context as in proxy-wasm-cpp-host (src/exports.cc:
// http_call / grpc_call / grpc_stream act on contextOrEffectiveContext()->root_context()), so the
// answer arrives at the root context's id. Semantics from Envoy source/extensions/common/wasm/
// context.cc (Context::httpCall, onHttpCallSuccess, onHttpCallFailure, grpcCall, grpcStream,
// grpcSend, grpcClose, grpcCancel, onGrpcReceiveWrapper, onGrpcCloseWrapper).
import { asciiLower } from "./ascii.ts";
import { WasmResult } from "./abi.ts";
import { EMPTY, text, toBytes } from "./codec.ts";
import type { RootContext } from "./context.ts";
import type { HeaderList } from "./types.ts";
import type { ProcessState } from "./process.ts";
import type { WasmVm } from "./vm.ts";
import type { TimerHandle } from "./clock.ts";

const R = WasmResult;
/** gRPC status codes used by the host's own failures. */
export const GRPC_DEADLINE_EXCEEDED = 4, GRPC_UNAVAILABLE = 14;

export interface CalloutReply {
  headers?: HeaderList;
  body?: Uint8Array | string;
  trailers?: HeaderList;
  /** gRPC only: the status to close with (default 0 = OK) */
  status?: number;
  /** gRPC only: the status message */
  message?: string;
}

export class Callout {
  done = false;
  timer: TimerHandle | null = null;
  /** gRPC streams: messages the module sent with proxy_grpc_send */
  readonly sent: { message: Uint8Array; endStream: boolean }[] = [];
  localClosed = false;
  remoteClosed = false;

  constructor(
    readonly vm: WasmVm,
    readonly root: RootContext,
    readonly kind: "http" | "grpc" | "grpc-stream",
    readonly token: number,
    readonly cluster: string,
    readonly headers: HeaderList,
    readonly body: Uint8Array,
    readonly trailers: HeaderList,
    readonly timeoutMs: number,
    readonly service?: string,
    readonly method?: string,
  ) {}

  get worker(): number { return this.vm.worker; }
  get contextId(): number { return this.root.contextId; }

  /** HTTP: deliver a response. gRPC call: the reply message (status 0) or a failure status. gRPC stream: metadata, message, trailers and close in order. */
  respond(r: CalloutReply = {}): void {
    this.assertOpen("respond");
    if (this.kind === "http") {
      const headers = r.headers ?? [[":status", "200"]];
      this.finish();
      deliverHttp(this.vm, this.root, this.token, { headers, body: toBytes(r.body), trailers: r.trailers ?? [] });
    } else if (this.kind === "grpc") {
      const status = r.status ?? 0;
      if (status === 0) {
        this.finish();
        deliverGrpcMessage(this.vm, this.root, this.token, toBytes(r.body));
      } else {
        this.settle();
        deliverGrpcClose(this.vm, this.root, this.token, status, r.message ?? "", () => this.finish());
      }
    } else {
      if (r.headers) this.receiveInitialMetadata(r.headers);
      if (r.body !== undefined) this.receive(r.body);
      if (r.trailers) this.receiveTrailingMetadata(r.trailers);
      this.close(r.status ?? 0, r.message ?? "");
    }
  }

  /** HTTP: the upstream reset (Envoy onHttpCallFailure: status BrokenConnection "reset", no headers). gRPC: Unavailable. */
  fail(reason = "reset"): void {
    this.assertOpen("fail");
    if (this.kind === "http") {
      this.finish();
      deliverHttpFailure(this.vm, this.root, this.token);
    } else if (this.kind === "grpc") {
      this.settle();
      deliverGrpcClose(this.vm, this.root, this.token, GRPC_UNAVAILABLE, reason, () => this.finish());
    } else {
      this.close(GRPC_UNAVAILABLE, reason);
    }
  }

  // gRPC stream events (GrpcStreamClientHandler in Envoy's context.h).
  receiveInitialMetadata(h: HeaderList): void {
    this.assertStream();
    deliverGrpcMetadata(this.vm, this.root, this.token, h, "initial");
  }
  receive(message: Uint8Array | string): void {
    this.assertStream();
    deliverGrpcMessage(this.vm, this.root, this.token, toBytes(message));
  }
  receiveTrailingMetadata(h: HeaderList): void {
    this.assertStream();
    deliverGrpcMetadata(this.vm, this.root, this.token, h, "trailing");
  }
  /** The remote side closes: on_grpc_close; the stream is forgotten once the module closed its side too. */
  close(status = 0, message = ""): void {
    this.assertStream();
    this.remoteClosed = true;
    this.settle();
    deliverGrpcClose(this.vm, this.root, this.token, status, message, () => { if (this.localClosed) this.finish(); });
  }

  /** No more answers from the test; the module may still refer to the token (Envoy erases it after the callback). */
  settle(): void {
    this.done = true;
    if (this.timer) this.vm.process.clock.cancel(this.timer);
    this.timer = null;
    pendingOf(this.vm.process).delete(this);
  }

  finish(): void {
    this.settle();
    calloutsOf(this.vm).delete(this.token);
  }

  private assertOpen(what: string): void {
    if (this.done) throw new Error(`callout ${this.token} (${this.kind} to ${this.cluster}): ${what}() after it was already answered, failed, timed out or cancelled`);
  }
  private assertStream(): void {
    if (this.kind !== "grpc-stream") throw new Error(`callout ${this.token} is a ${this.kind} call, not a gRPC stream`);
    this.assertOpen("stream event");
  }
}

// The callouts a test may still answer, per process (Host.pendingCallouts()).
const PENDING = new WeakMap<ProcessState, Set<Callout>>();

export function pendingOf(process: ProcessState): Set<Callout> {
  let s = PENDING.get(process);
  if (!s) { s = new Set(); PENDING.set(process, s); }
  return s;
}

// Each VM's outstanding callouts by token, kept here rather than on the VM: the VM needs nothing
// of them, and the map stays typed without the VM importing this module.
const OUTSTANDING = new WeakMap<WasmVm, Map<number, Callout>>();

/** The callouts of a VM still known by token (answered ones the module may still refer to included). */
export function calloutsOf(vm: WasmVm): Map<number, Callout> {
  let m = OUTSTANDING.get(vm);
  if (!m) { m = new Map(); OUTSTANDING.set(vm, m); }
  return m;
}

function clusterKnown(vm: WasmVm, cluster: string): boolean {
  const clusters = vm.process.clusters;
  return !clusters || clusters.has(cluster);
}

function register(vm: WasmVm, p: Callout): void {
  calloutsOf(vm).set(p.token, p);
  pendingOf(vm.process).add(p);
}

export function startHttpCall(vm: WasmVm, root: RootContext, cluster: string, headersIn: HeaderList, body: Uint8Array,
  trailers: HeaderList, timeoutMs: number): number | Callout {
  if (timeoutMs < 0) return R.BadArgument;
  if (!clusterKnown(vm, cluster)) return R.BadArgument;
  const headers: HeaderList = headersIn.map(([k, v]) => [asciiLower(k), v]);
  const has = (k: string) => headers.some((h) => h[0] === k);
  if (!has(":path") || !has(":method") || !has(":authority")) return R.BadArgument;
  if (body.length > 0) {
    for (let i = headers.length - 1; i >= 0; i--) if (headers[i][0] === "content-length") headers.splice(i, 1);
    headers.push(["content-length", String(body.length)]);
  }
  const token = (vm.nextCallout[0] += 4);
  const p = new Callout(vm, root, "http", token, cluster, headers, body, trailers.map(([k, v]) => [asciiLower(k), v]), timeoutMs);
  register(vm, p);
  if (timeoutMs > 0) {
    // Envoy's async client times out through the router: a 504 local reply reaches onSuccess.
    p.timer = vm.process.clock.schedule(timeoutMs, () => {
      p.timer = null;
      if (p.done) return;
      p.respond({ headers: [[":status", "504"], ["content-length", "24"], ["content-type", "text/plain"]], body: "upstream request timeout" });
    });
  }
  const transport = vm.process.callouts;
  if (transport) {
    transport.httpCall(cluster, headers, body, p.trailers, timeoutMs).then(
      (r) => { if (!p.done) p.respond({ headers: r.headers, body: r.body, trailers: r.trailers }); },
      () => { if (!p.done) p.fail(); },
    );
  }
  return p;
}

/** Envoy parses grpc_service as a GrpcService proto first, else takes it as a cluster name. */
function grpcCluster(service: Uint8Array): string {
  // GrpcService { envoy_grpc (1) { cluster_name (1) } }
  if (service.length > 4 && service[0] === 0x0a && service[2] === 0x0a && service[1] === service.length - 2) {
    const n = service[3];
    if (4 + n <= service.length) return text(service.subarray(4, 4 + n));
  }
  return text(service);
}

export function startGrpcCall(vm: WasmVm, root: RootContext, service: Uint8Array, serviceName: string, method: string,
  metadata: HeaderList, request: Uint8Array, timeoutMs: number): number | Callout {
  const cluster = grpcCluster(service);
  if (!clusterKnown(vm, cluster)) return R.ParseFailure;
  const token = (vm.nextCallout[1] += 4);
  const p = new Callout(vm, root, "grpc", token, cluster, metadata, request, [], timeoutMs, serviceName, method);
  register(vm, p);
  if (timeoutMs > 0) {
    p.timer = vm.process.clock.schedule(timeoutMs, () => {
      p.timer = null;
      if (!p.done) p.respond({ status: GRPC_DEADLINE_EXCEEDED, message: "" });
    });
  }
  const transport = vm.process.callouts;
  if (transport?.grpcCall) {
    transport.grpcCall(cluster, serviceName, method, metadata, request, timeoutMs).then(
      (r) => { if (!p.done) p.respond({ status: r.status, body: r.message }); },
      (e: Error) => { if (!p.done) p.fail(e?.message ?? "unavailable"); },
    );
  }
  return p;
}

export function startGrpcStream(vm: WasmVm, root: RootContext, service: Uint8Array, serviceName: string, method: string,
  metadata: HeaderList): number | Callout {
  const cluster = grpcCluster(service);
  if (!clusterKnown(vm, cluster)) return R.ParseFailure;
  const token = (vm.nextCallout[2] += 4);
  const p = new Callout(vm, root, "grpc-stream", token, cluster, metadata, EMPTY, [], 0, serviceName, method);
  register(vm, p);
  return p;
}

function grpcEntry(vm: WasmVm, token: number): Callout | undefined {
  return calloutsOf(vm).get(token);
}

export function grpcSend(vm: WasmVm, token: number, message: Uint8Array, endStream: boolean): number {
  if ((token & 3) !== 2) return R.BadArgument;
  const p = grpcEntry(vm, token);
  if (!p) return R.NotFound;
  p.sent.push({ message, endStream });
  return R.Ok;
}

export function grpcClose(vm: WasmVm, token: number): number {
  const type = token & 3;
  if (type !== 1 && type !== 2) return R.BadArgument;
  const p = grpcEntry(vm, token);
  if (!p) return R.NotFound;
  if (type === 1) { p.finish(); return R.Ok; }
  p.localClosed = true;
  if (p.remoteClosed) p.finish();
  return R.Ok;
}

export function grpcCancel(vm: WasmVm, token: number): number {
  const type = token & 3;
  if (type !== 1 && type !== 2) return R.BadArgument;
  const p = grpcEntry(vm, token);
  if (!p) return R.NotFound;
  p.finish();
  return R.Ok;
}

/** Runs a delivery now, or after the VM call in progress (Envoy defers re-entrant callbacks). */
function deliver(vm: WasmVm, f: () => void): void {
  if (vm.process.callDepth > 0) vm.process.post(f);
  else f();
}

function deliverHttp(vm: WasmVm, root: RootContext, token: number, resp: { headers: HeaderList; body: Uint8Array; trailers: HeaderList }): void {
  deliver(vm, () => {
    const f = vm.fns.proxy_on_http_call_response;
    if (vm.failed || !f || root.deleted) return;
    root.httpCallResponse = resp;
    vm.call(root, "proxy_on_http_call_response", f, root.contextId, token, resp.headers.length, resp.body.length, resp.trailers.length);
    root.httpCallResponse = null;
  });
}

function deliverHttpFailure(vm: WasmVm, root: RootContext, token: number): void {
  deliver(vm, () => {
    const f = vm.fns.proxy_on_http_call_response;
    if (vm.failed || !f || root.deleted) return;
    root.statusCode = WasmResult.BrokenConnection;
    root.statusMessage = "reset";
    vm.call(root, "proxy_on_http_call_response", f, root.contextId, token, 0, 0, 0);
    root.statusMessage = "";
  });
}

function deliverGrpcMessage(vm: WasmVm, root: RootContext, token: number, message: Uint8Array): void {
  deliver(vm, () => {
    const f = vm.fns.proxy_on_grpc_receive;
    if (vm.failed || !f || root.deleted) return;
    root.grpcReceiveBuffer = message;
    vm.call(root, "proxy_on_grpc_receive", f, root.contextId, token, message.length);
    root.grpcReceiveBuffer = null;
  });
}

function deliverGrpcMetadata(vm: WasmVm, root: RootContext, token: number, h: HeaderList, which: "initial" | "trailing"): void {
  deliver(vm, () => {
    const name = which === "initial" ? "proxy_on_grpc_receive_initial_metadata" : "proxy_on_grpc_receive_trailing_metadata";
    const f = vm.fns[name];
    if (vm.failed || !f || root.deleted) return;
    const list: HeaderList = h.map(([k, v]) => [asciiLower(k), v]);
    if (which === "initial") root.grpcInitialMetadata = list; else root.grpcTrailingMetadata = list;
    vm.call(root, name, f, root.contextId, token, list.length);
    if (which === "initial") root.grpcInitialMetadata = null; else root.grpcTrailingMetadata = null;
  });
}

function deliverGrpcClose(vm: WasmVm, root: RootContext, token: number, status: number, message: string, after: () => void): void {
  deliver(vm, () => {
    const f = vm.fns.proxy_on_grpc_close;
    if (!vm.failed && f && !root.deleted) {
      root.statusCode = status;
      root.statusMessage = message;
      vm.call(root, "proxy_on_grpc_close", f, root.contextId, token, status);
      root.statusMessage = "";
    }
    after();
  });
}

/** Envoy's Context destructor cancels outstanding requests of a deleted root context. */
export function cancelCallouts(vm: WasmVm, root: RootContext): void {
  for (const p of [...calloutsOf(vm).values()]) if (p.root === root) p.finish();
}
