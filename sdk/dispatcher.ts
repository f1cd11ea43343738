// Routes each proxy_on_* callback to its context. Context ids are the host's (Envoy numbers
// root and stream contexts from one counter per VM, so one table holds every kind). Every entry
// point brackets its work with enter()/leave() so garbage is collected only at the outermost
// exit (see gc.ts).
import { CalloutEvent, calloutEvent, calloutsOfDeleted } from "./callouts";
import { BaseContext, HttpContext, RootContext, RootContextFactory, TcpContext } from "./context";
import { find, insert, remove, tableSize } from "./context-table";
import { PeerType } from "./enums";
import { u32s } from "./fmt";
import { enter, leave, noteDelete, noteLiveContexts } from "./gc";
import { logError, refreshLogLevel } from "./log";
import { getPropertyString } from "./properties";

// Registered root ids, newest first (a module registers a handful; no array machinery).
class Registration {
  constructor(public rootId: string, public factory: RootContextFactory, public next: Registration | null) {}
}

let registrations: Registration | null = null;

/** Registers the factory for plugins whose root_id is `rootId` ("" for Envoy's default root id).
 *  Several root ids may share one module; registering an id again replaces its factory.
 *  Call from top-level code (it runs in _initialize, before Envoy creates any context). */
export function registerRootContext(rootId: string, factory: RootContextFactory): void {
  const r = registrationOf(rootId);
  if (r !== null) r.factory = factory;
  else registrations = new Registration(rootId, factory, registrations);
}

function registrationOf(rootId: string): Registration | null {
  let r = changetype<usize>(registrations);
  while (r != 0 && changetype<Registration>(r).rootId != rootId) r = changetype<usize>(changetype<Registration>(r).next);
  return changetype<Registration | null>(r);
}

function registeredIds(): string {
  let s = "";
  for (let r = changetype<usize>(registrations); r != 0; r = changetype<usize>(changetype<Registration>(r).next)) {
    if (s.length > 0) s = ", " + s;
    s = "\"" + changetype<Registration>(r).rootId + "\"" + s;
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
// the last context found is remembered: one comparison instead of a table probe. A context's
// kind is its class (instanceof reads the object's runtime type id): no field for it.
let lastId: u32 = 0;
let lastContext: usize = 0;

/** The context with this id as a pointer, 0 when unknown. */
function lookup(id: u32): usize {
  if (id == lastId && lastContext != 0) return lastContext;
  const c = find(id);
  if (c != 0) { lastId = id; lastContext = c; }
  return c;
}

/** The context with this id (null when unknown). Valid anywhere. */
export function getContext(id: u32): BaseContext | null {
  return changetype<BaseContext | null>(lookup(id));
}

/** The root context with this id (null when unknown or not a root). */
export function getRootContext(id: u32): RootContext | null {
  const c = changetype<BaseContext | null>(lookup(id));
  return c instanceof RootContext ? changetype<RootContext>(c) : null;
}

/** Number of live contexts of all kinds (tests, leak checks). */
export function liveContexts(): i32 {
  return tableSize();
}

function add(c: BaseContext): void {
  insert(c);
  lastContext = 0;
  noteLiveContexts(tableSize());
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
  const r = registrationOf(name);
  const root = r !== null ? r.factory(id) : new UnknownRootContext(id);
  root.rootId = name;
  add(root);
}

function createStream(id: u32, parentId: u32): void {
  const root = getRootContext(parentId);
  if (root === null) {
    logError("context " + u32s(id) + ": parent root context " + u32s(parentId) + " does not exist");
    return;
  }
  const h = root.newHttpContext(id);
  if (h !== null) { add(h); return; }
  const t = root.newTcpContext(id);
  if (t !== null) { add(t); return; }
  logError("root_id \"" + root.rootId + "\": newHttpContext and newTcpContext both returned null");
}

// One entry function per callback family, each taking an op code: an HTTP-only module (its
// entry re-exports sdk/exports/common and sdk/exports/http) links no TCP dispatch, and the
// exports stay one line each. Statuses for a context of the wrong kind, or an unknown id, are
// Continue (0) / true, as if the filter were absent; configure answers false for an unknown root.

/** Root callbacks. */
export const enum RootOp { VmStart, ValidateConfiguration, Configure, Tick, QueueReady, ForeignFunction }

export function onRoot(op: RootOp, id: u32, a: u32, b: u32): u32 {
  enter();
  if (op <= RootOp.Tick) refreshLogLevel();   // vm start, validate, configure, tick
  const t = changetype<BaseContext | null>(lookup(id));
  let r: u32 = op == RootOp.Configure ? 0 : op <= RootOp.ValidateConfiguration ? 1 : 0;
  if (t instanceof RootContext) {
    const c = changetype<RootContext>(t);
    switch (op) {
      case RootOp.VmStart: r = c.onVmStart(a) ? 1 : 0; break;
      case RootOp.ValidateConfiguration: r = c.onValidateConfiguration(a) ? 1 : 0; break;
      case RootOp.Configure: r = c.onConfigure(a) ? 1 : 0; break;
      case RootOp.Tick: c.onTick(); break;
      case RootOp.QueueReady: c.onQueueReady(a); break;
      case RootOp.ForeignFunction: c.onForeignFunction(a, b); break;
    }
  }
  leave();
  return r;
}

/** HTTP stream callbacks. */
export const enum HttpOp { RequestHeaders, RequestBody, RequestTrailers, ResponseHeaders, ResponseBody, ResponseTrailers }

export function onHttp(op: HttpOp, id: u32, a: u32, b: u32): u32 {
  enter();
  const t = changetype<BaseContext | null>(lookup(id));
  let r: u32 = 0;
  if (t instanceof HttpContext) {
    const c = changetype<HttpContext>(t);
    const eos = b != 0;
    switch (op) {
      case HttpOp.RequestHeaders: r = c.onRequestHeaders(a, eos); break;
      case HttpOp.RequestBody: r = c.onRequestBody(a, eos); break;
      case HttpOp.RequestTrailers: r = c.onRequestTrailers(a); break;
      case HttpOp.ResponseHeaders: r = c.onResponseHeaders(a, eos); break;
      case HttpOp.ResponseBody: r = c.onResponseBody(a, eos); break;
      case HttpOp.ResponseTrailers: r = c.onResponseTrailers(a); break;
    }
  }
  leave();
  return r;
}

/** Network (TCP) callbacks. */
export const enum TcpOp { NewConnection, DownstreamData, UpstreamData, DownstreamClose, UpstreamClose }

export function onTcp(op: TcpOp, id: u32, a: u32, b: u32): u32 {
  enter();
  const t = changetype<BaseContext | null>(lookup(id));
  let r: u32 = 0;
  if (t !== null) {
    const c = t instanceof TcpContext ? changetype<TcpContext>(t) : t.tcpView();
    if (c !== null) {
      const eos = b != 0;
      switch (op) {
        case TcpOp.NewConnection: r = c.onNewConnection(); break;
        case TcpOp.DownstreamData: r = c.onDownstreamData(a, eos); break;
        case TcpOp.UpstreamData: r = c.onUpstreamData(a, eos); break;
        case TcpOp.DownstreamClose: c.onDownstreamConnectionClose(<PeerType>a); break;
        case TcpOp.UpstreamClose: c.onUpstreamConnectionClose(<PeerType>a); break;
      }
    }
  }
  leave();
  return r;
}

/** The end of any context: log, done, delete. */
export const enum EndOp { Log, Done, Delete }

export function onEnd(op: EndOp, id: u32): u32 {
  enter();
  const t = changetype<BaseContext | null>(lookup(id));
  let r: u32 = op == EndOp.Done ? 1 : 0;
  if (t !== null) r = end(t, op, id);
  leave();
  return r;
}

function end(c: BaseContext, op: EndOp, id: u32): u32 {
  if (op == EndOp.Log) {
    if (c instanceof HttpContext) changetype<HttpContext>(c).onLog();
    else if (c instanceof TcpContext) changetype<TcpContext>(c).onLog();
    return 0;
  }
  if (op == EndOp.Done) {
    if (c instanceof HttpContext) return changetype<HttpContext>(c).onDone() ? 1 : 0;
    if (c instanceof TcpContext) return changetype<TcpContext>(c).onDone() ? 1 : 0;
    return changetype<RootContext>(c).onDone() ? 1 : 0;
  }
  if (c instanceof HttpContext) changetype<HttpContext>(c).onDelete();
  else if (c instanceof TcpContext) changetype<TcpContext>(c).onDelete();
  else changetype<RootContext>(c).onDelete();
  remove(id);
  if (lastId == id) lastContext = 0;
  noteLiveContexts(tableSize());
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
