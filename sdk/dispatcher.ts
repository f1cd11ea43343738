// Routes each proxy_on_* callback to its context. Context ids are the host's (Envoy numbers
// root and stream contexts from one counter per VM, so one table holds every kind). Every entry
// point brackets its work with enter()/leave() so garbage is collected only at the outermost
// exit (see gc.ts).
import { CalloutEvent, calloutEvent, calloutsOfDeleted } from "./callouts";
import { BaseContext, ContextKind, HttpContext, RootContext, RootContextFactory, TcpContext } from "./context";
import { PeerType } from "./enums";
import { u32s } from "./fmt";
import { enter, leave, noteDelete, noteLiveContexts } from "./gc";
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

// Envoy calls one stream several times in a row (headers, body chunks, done, log, delete), so
// the last context found is remembered: one comparison instead of two hash lookups.
let lastId: u32 = 0;
let lastContext: BaseContext | null = null;

/** The context with this id (null when unknown). Valid anywhere. */
export function getContext(id: u32): BaseContext | null {
  if (id == lastId && lastContext !== null) return lastContext;
  if (!contexts.has(id)) return null;
  const c = contexts.get(id);
  lastId = id;
  lastContext = c;
  return c;
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

export function onContextCreate(id: u32, parentId: u32): void {
  enter();
  if (parentId == 0) createRoot(id);
  else createStream(id, parentId);
  leave();
}

function createRoot(id: u32): void {
  // Envoy re-runs proxy_on_context_create(id, 0) when a plugin with the same key starts again on
  // a VM that has its root (proxy-wasm-cpp-host WasmBase::start -> ContextBase::onStart): keep
  // the existing root and its state.
  if (getRootContext(id) !== null) return;
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
  lastContext = null;
  noteLiveContexts(contexts.size);
}

function createStream(id: u32, parentId: u32): void {
  const root = getRootContext(parentId);
  if (root === null) {
    logError("context " + u32s(id) + ": parent root context " + u32s(parentId) + " does not exist");
    return;
  }
  const h = root.newHttpContext(id);
  lastContext = null;
  if (h !== null) { contexts.set(id, h); noteLiveContexts(contexts.size); return; }
  const t = root.newTcpContext(id);
  if (t !== null) { contexts.set(id, t); noteLiveContexts(contexts.size); return; }
  logError("root_id \"" + root.rootId + "\": newHttpContext and newTcpContext both returned null");
}

/** The callbacks that act on one context, for onCallback. */
export const enum Op {
  VmStart, ValidateConfiguration, Configure, Tick, QueueReady, ForeignFunction,
  RequestHeaders, RequestBody, RequestTrailers, ResponseHeaders, ResponseBody, ResponseTrailers,
  NewConnection, DownstreamData, UpstreamData, DownstreamClose, UpstreamClose,
  Log, Done, Delete,
}

/** Every per-context callback: finds context `id` and calls the method for `op` with (a, b).
 *  One function instead of one per callback keeps the exports small. Statuses for a context of
 *  the wrong kind, or an unknown id, are Continue (0) / true, as if the filter were absent;
 *  configure answers false for an unknown root. */
export function onCallback(op: Op, id: u32, a: u32, b: u32): u32 {
  enter();
  if (op <= Op.Configure || op == Op.Tick) refreshLogLevel();
  const c = getContext(id);
  let r: u32 = op == Op.Configure ? 0 : op <= Op.ValidateConfiguration || op == Op.Done ? 1 : 0;
  if (c !== null) {
    if (op <= Op.ForeignFunction) {
      if (c.kind == ContextKind.Root) r = root(changetype<RootContext>(c), op, a, b, r);
    } else if (op <= Op.ResponseTrailers) {
      if (c.kind == ContextKind.Http) r = http(changetype<HttpContext>(c), op, a, b != 0);
    } else if (op <= Op.UpstreamClose) {
      const t = c.kind == ContextKind.Tcp ? changetype<TcpContext>(c) : c.tcpView();
      if (t !== null) r = tcp(t, op, a, b != 0);
    } else {
      r = lifecycle(c, op, id);
    }
  }
  leave();
  return r;
}

function root(c: RootContext, op: Op, a: u32, b: u32, r: u32): u32 {
  switch (op) {
    case Op.VmStart: return c.onVmStart(a) ? 1 : 0;
    case Op.ValidateConfiguration: return c.onValidateConfiguration(a) ? 1 : 0;
    case Op.Configure: return c.onConfigure(a) ? 1 : 0;
    case Op.Tick: c.onTick(); break;
    case Op.QueueReady: c.onQueueReady(a); break;
    case Op.ForeignFunction: c.onForeignFunction(a, b); break;
  }
  return r;
}

function http(c: HttpContext, op: Op, a: u32, eos: bool): u32 {
  switch (op) {
    case Op.RequestHeaders: return c.onRequestHeaders(a, eos);
    case Op.RequestBody: return c.onRequestBody(a, eos);
    case Op.RequestTrailers: return c.onRequestTrailers(a);
    case Op.ResponseHeaders: return c.onResponseHeaders(a, eos);
    case Op.ResponseBody: return c.onResponseBody(a, eos);
    case Op.ResponseTrailers: return c.onResponseTrailers(a);
  }
  return 0;
}

function tcp(c: TcpContext, op: Op, a: u32, eos: bool): u32 {
  switch (op) {
    case Op.NewConnection: return c.onNewConnection();
    case Op.DownstreamData: return c.onDownstreamData(a, eos);
    case Op.UpstreamData: return c.onUpstreamData(a, eos);
    case Op.DownstreamClose: c.onDownstreamConnectionClose(<PeerType>a); break;
    case Op.UpstreamClose: c.onUpstreamConnectionClose(<PeerType>a); break;
  }
  return 0;
}

function lifecycle(c: BaseContext, op: Op, id: u32): u32 {
  if (op == Op.Log) {
    if (c.kind == ContextKind.Http) changetype<HttpContext>(c).onLog();
    else if (c.kind == ContextKind.Tcp) changetype<TcpContext>(c).onLog();
    return 0;
  }
  if (op == Op.Done) {
    if (c.kind == ContextKind.Http) return changetype<HttpContext>(c).onDone() ? 1 : 0;
    if (c.kind == ContextKind.Tcp) return changetype<TcpContext>(c).onDone() ? 1 : 0;
    return changetype<RootContext>(c).onDone() ? 1 : 0;
  }
  if (c.kind == ContextKind.Http) changetype<HttpContext>(c).onDelete();
  else if (c.kind == ContextKind.Tcp) changetype<TcpContext>(c).onDelete();
  else changetype<RootContext>(c).onDelete();
  contexts.delete(id);
  if (lastId == id) lastContext = null;
  noteLiveContexts(contexts.size);
  calloutsOfDeleted(c);
  noteDelete();
  return 0;
}

/** Callout callbacks. Envoy names the root context (callouts belong to it); the token picks
 *  the context that made the call and its handler (callouts.ts). */
export function onCallout(ev: CalloutEvent, token: u32, a: u32, b: u32, c: u32): void {
  enter();
  calloutEvent(ev, token, a, b, c);
  leave();
}
