// Routes each proxy_on_* callback to its context. Context ids are the host's (Envoy numbers
// root and stream contexts from one counter per VM, so one table holds every kind). Every entry
// point brackets its work with enter()/leave() so garbage is collected only at the outermost
// exit (see gc.ts).
import { dropPendingOf } from "./callouts";
import { BaseContext, ContextKind, HttpContext, RootContext, RootContextFactory, TcpContext } from "./context";
import { FilterDataStatus, FilterHeadersStatus, FilterStatus, FilterTrailersStatus, PeerType } from "./enums";
import { u32s } from "./fmt";
import { enter, leave, noteDelete } from "./gc";
import { deliverGrpcClose, deliverGrpcInitialMetadata, deliverGrpcReceive, deliverGrpcTrailingMetadata } from "./grpc";
import { deliverHttpCallResponse } from "./http-call";
import { logError, refreshLogLevel } from "./log";
import { getPropertyString } from "./properties";

class Registration {
  constructor(public rootId: string, public factory: RootContextFactory) {}
}

const registrations = new Array<Registration>();
const contexts = new Map<u32, BaseContext>();

/** Registers the factory for plugins whose root_id is `rootId` ("" for Envoy's default root id).
 *  Several root ids may share one module; registering an id again replaces its factory.
 *  Call from top-level code (it runs in _initialize, before Envoy creates any context). */
export function registerRootContext(rootId: string, factory: RootContextFactory): void {
  for (let i = 0; i < registrations.length; i++) {
    if (unchecked(registrations[i]).rootId == rootId) { unchecked(registrations[i]).factory = factory; return; }
  }
  registrations.push(new Registration(rootId, factory));
}

function registeredIds(): string {
  let s = "";
  for (let i = 0; i < registrations.length; i++) {
    if (i > 0) s += ", ";
    s += "\"" + unchecked(registrations[i]).rootId + "\"";
  }
  return s;
}

/** Root context for a root id nobody registered: it fails configuration, naming the problem. */
class UnknownRootContext extends RootContext {
  onConfigure(size: usize): bool {
    logError("no root context registered for root_id \"" + this.rootId + "\" (registered: " + registeredIds() + ")");
    return false;
  }
}

/** The context with this id (null when unknown). Valid anywhere. */
export function getContext(id: u32): BaseContext | null {
  return contexts.has(id) ? contexts.get(id) : null;
}

/** The root context with this id (null when unknown or not a root). */
export function getRootContext(id: u32): RootContext | null {
  const c = getContext(id);
  return c !== null && c.kind == ContextKind.Root ? changetype<RootContext>(c) : null;
}

/** Number of live contexts of all kinds (tests, leak checks). */
export function liveContexts(): i32 {
  return contexts.size;
}

@inline function http(id: u32): HttpContext | null {
  const c = getContext(id);
  return c !== null && c.kind == ContextKind.Http ? changetype<HttpContext>(c) : null;
}

function tcp(id: u32): TcpContext | null {
  const c = getContext(id);
  if (c === null) return null;
  return c.kind == ContextKind.Tcp ? changetype<TcpContext>(c) : c.tcpView();
}

export function onContextCreate(id: u32, parentId: u32): void {
  enter();
  if (parentId == 0) createRoot(id);
  else createStream(id, parentId);
  leave();
}

function createRoot(id: u32): void {
  // Envoy answers plugin_root_id with the PluginConfig's root_id (context.cc, PLUGIN_ROOT_ID).
  const rootId = getPropertyString(["plugin_root_id"]);
  const name = rootId === null ? "" : rootId;
  let root: RootContext | null = null;
  for (let i = 0; i < registrations.length; i++) {
    const r = unchecked(registrations[i]);
    if (r.rootId == name) { root = r.factory(id); break; }
  }
  if (root === null) root = new UnknownRootContext(id);
  root.rootId = name;
  contexts.set(id, root);
}

function createStream(id: u32, parentId: u32): void {
  const root = getRootContext(parentId);
  if (root === null) {
    logError("context " + u32s(id) + ": parent root context " + u32s(parentId) + " does not exist");
    return;
  }
  const h = root.newHttpContext(id);
  if (h !== null) { contexts.set(id, h); return; }
  const t = root.newTcpContext(id);
  if (t !== null) { contexts.set(id, t); return; }
  logError("root_id \"" + root.rootId + "\": newHttpContext and newTcpContext both returned null");
}

// Root callbacks

export function onVmStart(id: u32, size: usize): bool {
  enter();
  refreshLogLevel();
  const r = getRootContext(id);
  const ok = r !== null ? r.onVmStart(size) : true;
  leave();
  return ok;
}

export function onValidateConfiguration(id: u32, size: usize): bool {
  enter();
  const r = getRootContext(id);
  const ok = r !== null ? r.onValidateConfiguration(size) : true;
  leave();
  return ok;
}

export function onConfigure(id: u32, size: usize): bool {
  enter();
  refreshLogLevel();
  const r = getRootContext(id);
  const ok = r !== null ? r.onConfigure(size) : false;
  leave();
  return ok;
}

export function onTick(id: u32): void {
  enter();
  refreshLogLevel();
  const r = getRootContext(id);
  if (r !== null) r.onTick();
  leave();
}

export function onQueueReady(id: u32, token: u32): void {
  enter();
  const r = getRootContext(id);
  if (r !== null) r.onQueueReady(token);
  leave();
}

export function onForeignFunction(id: u32, functionId: u32, size: usize): void {
  enter();
  const r = getRootContext(id);
  if (r !== null) r.onForeignFunction(functionId, size);
  leave();
}

// HTTP stream callbacks

export function onRequestHeaders(id: u32, numHeaders: u32, endOfStream: bool): u32 {
  enter();
  const c = http(id);
  const s = c !== null ? c.onRequestHeaders(numHeaders, endOfStream) : FilterHeadersStatus.Continue;
  leave();
  return s;
}

export function onRequestBody(id: u32, size: usize, endOfStream: bool): u32 {
  enter();
  const c = http(id);
  const s = c !== null ? c.onRequestBody(size, endOfStream) : FilterDataStatus.Continue;
  leave();
  return s;
}

export function onRequestTrailers(id: u32, n: u32): u32 {
  enter();
  const c = http(id);
  const s = c !== null ? c.onRequestTrailers(n) : FilterTrailersStatus.Continue;
  leave();
  return s;
}

export function onResponseHeaders(id: u32, numHeaders: u32, endOfStream: bool): u32 {
  enter();
  const c = http(id);
  const s = c !== null ? c.onResponseHeaders(numHeaders, endOfStream) : FilterHeadersStatus.Continue;
  leave();
  return s;
}

export function onResponseBody(id: u32, size: usize, endOfStream: bool): u32 {
  enter();
  const c = http(id);
  const s = c !== null ? c.onResponseBody(size, endOfStream) : FilterDataStatus.Continue;
  leave();
  return s;
}

export function onResponseTrailers(id: u32, n: u32): u32 {
  enter();
  const c = http(id);
  const s = c !== null ? c.onResponseTrailers(n) : FilterTrailersStatus.Continue;
  leave();
  return s;
}

// TCP callbacks

export function onNewConnection(id: u32): u32 {
  enter();
  const c = tcp(id);
  const s = c !== null ? c.onNewConnection() : FilterStatus.Continue;
  leave();
  return s;
}

export function onDownstreamData(id: u32, size: usize, endOfStream: bool): u32 {
  enter();
  const c = tcp(id);
  const s = c !== null ? c.onDownstreamData(size, endOfStream) : FilterStatus.Continue;
  leave();
  return s;
}

export function onUpstreamData(id: u32, size: usize, endOfStream: bool): u32 {
  enter();
  const c = tcp(id);
  const s = c !== null ? c.onUpstreamData(size, endOfStream) : FilterStatus.Continue;
  leave();
  return s;
}

export function onDownstreamConnectionClose(id: u32, peer: u32): void {
  enter();
  const c = tcp(id);
  if (c !== null) c.onDownstreamConnectionClose(<PeerType>peer);
  leave();
}

export function onUpstreamConnectionClose(id: u32, peer: u32): void {
  enter();
  const c = tcp(id);
  if (c !== null) c.onUpstreamConnectionClose(<PeerType>peer);
  leave();
}

// Callouts: Envoy names the root context (callouts belong to it); the token picks the context
// that made the call and its handler.

export function onHttpCallResponse(id: u32, token: u32, numHeaders: u32, bodySize: usize, numTrailers: u32): void {
  enter();
  deliverHttpCallResponse(token, numHeaders, bodySize, numTrailers);
  leave();
}

export function onGrpcReceiveInitialMetadata(id: u32, token: u32, n: u32): void {
  enter();
  deliverGrpcInitialMetadata(token, n);
  leave();
}

export function onGrpcReceive(id: u32, token: u32, size: usize): void {
  enter();
  deliverGrpcReceive(token, size);
  leave();
}

export function onGrpcReceiveTrailingMetadata(id: u32, token: u32, n: u32): void {
  enter();
  deliverGrpcTrailingMetadata(token, n);
  leave();
}

export function onGrpcClose(id: u32, token: u32, status: u32): void {
  enter();
  deliverGrpcClose(token, status);
  leave();
}

// Lifecycle (any kind of context)

export function onLog(id: u32): void {
  enter();
  const c = getContext(id);
  if (c !== null) {
    if (c.kind == ContextKind.Http) changetype<HttpContext>(c).onLog();
    else if (c.kind == ContextKind.Tcp) changetype<TcpContext>(c).onLog();
  }
  leave();
}

export function onDone(id: u32): bool {
  enter();
  const c = getContext(id);
  let ok = true;
  if (c !== null) {
    if (c.kind == ContextKind.Http) ok = changetype<HttpContext>(c).onDone();
    else if (c.kind == ContextKind.Tcp) ok = changetype<TcpContext>(c).onDone();
    else ok = changetype<RootContext>(c).onDone();
  }
  leave();
  return ok;
}

export function onDelete(id: u32): void {
  enter();
  const c = getContext(id);
  if (c !== null) {
    if (c.kind == ContextKind.Http) changetype<HttpContext>(c).onDelete();
    else if (c.kind == ContextKind.Tcp) changetype<TcpContext>(c).onDelete();
    else changetype<RootContext>(c).onDelete();
    contexts.delete(id);
    dropPendingOf(c);
    noteDelete();
  }
  leave();
}
