// Routes each proxy_on_* callback to its context. Context ids are the host's (Envoy numbers
// root and stream contexts from one counter per VM). Every entry point brackets its work with
// enter()/leave() so garbage is collected only at the outermost exit (see gc.ts).
import { BaseContext, HttpContext, RootContext, RootContextFactory, TcpContext } from "./context";
import { FilterDataStatus, FilterHeadersStatus, FilterStatus, FilterTrailersStatus, PeerType } from "./enums";
import { enter, leave, noteDelete } from "./gc";
import {
  deliverGrpcClose, deliverGrpcInitialMetadata, deliverGrpcReceive, deliverGrpcTrailingMetadata, dropGrpcOf,
} from "./grpc";
import { deliverHttpCallResponse, dropHttpCallsOf } from "./http-call";
import { logError, refreshLogLevel } from "./log";
import { getPropertyString } from "./properties";

class Registration {
  constructor(public rootId: string, public factory: RootContextFactory) {}
}

const registrations = new Array<Registration>();
const roots = new Map<u32, RootContext>();
const https = new Map<u32, HttpContext>();
const tcps = new Map<u32, TcpContext>();

/** Registers the factory for plugins whose root_id is `rootId` ("" for Envoy's default root id).
 *  Several root ids may share one module. Call from top-level code. */
export function registerRootContext(rootId: string, factory: RootContextFactory): void {
  for (let i = 0; i < registrations.length; i++) {
    if (unchecked(registrations[i]).rootId == rootId) { unchecked(registrations[i]).factory = factory; return; }
  }
  registrations.push(new Registration(rootId, factory));
}

/** The root ids registered so far, comma-separated (for error messages). */
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
    logError("no root context registered for root_id \"" + this.rootId + "\" (registered: " + registeredIds() +
      "); call registerRootContext(\"" + this.rootId + "\", factory) or fix the plugin's root_id");
    return false;
  }
}

/** The context with this id, whatever its kind (null when unknown). */
export function getContext(id: u32): BaseContext | null {
  if (https.has(id)) return https.get(id);
  if (tcps.has(id)) return tcps.get(id);
  if (roots.has(id)) return roots.get(id);
  return null;
}

/** The root context with this id (null when unknown). */
export function getRootContext(id: u32): RootContext | null {
  return roots.has(id) ? roots.get(id) : null;
}

export function onContextCreate(id: u32, parentId: u32): void {
  enter();
  if (parentId == 0) createRoot(id);
  else createStream(id, parentId);
  leave();
}

function createRoot(id: u32): void {
  const rootId = getPropertyString(["plugin_root_id"]);
  const name = rootId === null ? "" : rootId;
  let root: RootContext | null = null;
  for (let i = 0; i < registrations.length; i++) {
    const r = unchecked(registrations[i]);
    if (r.rootId == name) { root = r.factory(id); break; }
  }
  if (root === null) root = new UnknownRootContext(id);
  root.rootId = name;
  roots.set(id, root);
}

function createStream(id: u32, parentId: u32): void {
  if (!roots.has(parentId)) {
    logError("context " + id.toString() + ": parent root context " + parentId.toString() + " does not exist");
    return;
  }
  const root = roots.get(parentId);
  const http = root.newHttpContext(id);
  if (http !== null) { https.set(id, http); return; }
  const tcp = root.newTcpContext(id);
  if (tcp !== null) { tcps.set(id, tcp); return; }
  logError("root context \"" + root.rootId + "\" returned null from both newHttpContext and newTcpContext (context " + id.toString() + ")");
}

// Root callbacks

export function onVmStart(id: u32, size: usize): bool {
  enter();
  refreshLogLevel();
  const ok = roots.has(id) ? roots.get(id).onVmStart(size) : true;
  leave();
  return ok;
}

export function onValidateConfiguration(id: u32, size: usize): bool {
  enter();
  const ok = roots.has(id) ? roots.get(id).onValidateConfiguration(size) : true;
  leave();
  return ok;
}

export function onConfigure(id: u32, size: usize): bool {
  enter();
  refreshLogLevel();
  let ok = false;
  if (roots.has(id)) ok = roots.get(id).onConfigure(size);
  else logError("proxy_on_configure: no root context " + id.toString());
  leave();
  return ok;
}

export function onTick(id: u32): void {
  enter();
  refreshLogLevel();
  if (roots.has(id)) roots.get(id).onTick();
  leave();
}

export function onQueueReady(id: u32, token: u32): void {
  enter();
  if (roots.has(id)) roots.get(id).onQueueReady(token);
  leave();
}

export function onForeignFunction(id: u32, functionId: u32, size: usize): void {
  enter();
  if (roots.has(id)) roots.get(id).onForeignFunction(functionId, size);
  leave();
}

// HTTP stream callbacks

export function onRequestHeaders(id: u32, numHeaders: u32, endOfStream: bool): u32 {
  enter();
  const s = https.has(id) ? https.get(id).onRequestHeaders(numHeaders, endOfStream) : FilterHeadersStatus.Continue;
  leave();
  return s;
}

export function onRequestBody(id: u32, size: usize, endOfStream: bool): u32 {
  enter();
  const s = https.has(id) ? https.get(id).onRequestBody(size, endOfStream) : FilterDataStatus.Continue;
  leave();
  return s;
}

export function onRequestTrailers(id: u32, n: u32): u32 {
  enter();
  const s = https.has(id) ? https.get(id).onRequestTrailers(n) : FilterTrailersStatus.Continue;
  leave();
  return s;
}

export function onResponseHeaders(id: u32, numHeaders: u32, endOfStream: bool): u32 {
  enter();
  const s = https.has(id) ? https.get(id).onResponseHeaders(numHeaders, endOfStream) : FilterHeadersStatus.Continue;
  leave();
  return s;
}

export function onResponseBody(id: u32, size: usize, endOfStream: bool): u32 {
  enter();
  const s = https.has(id) ? https.get(id).onResponseBody(size, endOfStream) : FilterDataStatus.Continue;
  leave();
  return s;
}

export function onResponseTrailers(id: u32, n: u32): u32 {
  enter();
  const s = https.has(id) ? https.get(id).onResponseTrailers(n) : FilterTrailersStatus.Continue;
  leave();
  return s;
}

// TCP callbacks

export function onNewConnection(id: u32): u32 {
  enter();
  const s = tcps.has(id) ? tcps.get(id).onNewConnection() : FilterStatus.Continue;
  leave();
  return s;
}

export function onDownstreamData(id: u32, size: usize, endOfStream: bool): u32 {
  enter();
  const s = tcps.has(id) ? tcps.get(id).onDownstreamData(size, endOfStream) : FilterStatus.Continue;
  leave();
  return s;
}

export function onUpstreamData(id: u32, size: usize, endOfStream: bool): u32 {
  enter();
  const s = tcps.has(id) ? tcps.get(id).onUpstreamData(size, endOfStream) : FilterStatus.Continue;
  leave();
  return s;
}

export function onDownstreamConnectionClose(id: u32, peer: u32): void {
  enter();
  if (tcps.has(id)) tcps.get(id).onDownstreamConnectionClose(<PeerType>peer);
  leave();
}

export function onUpstreamConnectionClose(id: u32, peer: u32): void {
  enter();
  if (tcps.has(id)) tcps.get(id).onUpstreamConnectionClose(<PeerType>peer);
  leave();
}

// Callouts: routed by token to the context that made them (the id Envoy passes is that context).

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
  if (https.has(id)) https.get(id).onLog();
  else if (tcps.has(id)) tcps.get(id).onLog();
  leave();
}

export function onDone(id: u32): bool {
  enter();
  let ok = true;
  if (https.has(id)) ok = https.get(id).onDone();
  else if (tcps.has(id)) ok = tcps.get(id).onDone();
  else if (roots.has(id)) ok = roots.get(id).onDone();
  leave();
  return ok;
}

export function onDelete(id: u32): void {
  enter();
  let ctx: BaseContext | null = null;
  if (https.has(id)) { const c = https.get(id); c.onDelete(); https.delete(id); ctx = c; }
  else if (tcps.has(id)) { const c = tcps.get(id); c.onDelete(); tcps.delete(id); ctx = c; }
  else if (roots.has(id)) { const c = roots.get(id); c.onDelete(); roots.delete(id); ctx = c; }
  if (ctx !== null) {
    dropHttpCallsOf(ctx);
    dropGrpcOf(ctx);
    noteDelete();
  }
  leave();
}

/** Number of live contexts of each kind (for tests and leak checks). */
export function liveContexts(): i32 {
  return roots.size + https.size + tcps.size;
}
