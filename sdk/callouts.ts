// Pending HTTP callouts and gRPC calls/streams: token -> (context that made it, handler).
// One table for both kinds (one Map instantiation in the binary); Envoy numbers HTTP and gRPC
// tokens from separate counters, so the key carries the kind in its high half.
// The dispatcher reaches this code through two hooks that the first callout installs: a filter
// that never makes a callout links none of it (add-header is about 1 KiB smaller).
import { proxy_grpc_cancel } from "./bindings";
import { BaseContext } from "./context";
import {
  deliverGrpcClose, deliverGrpcInitialMetadata, deliverGrpcReceive, deliverGrpcTrailingMetadata, GrpcCallHandler,
} from "./grpc";
import { deliverHttpCallResponse, HttpCallHandler } from "./http-call";
import { logError } from "./log";

/** Callout callbacks, as the dispatcher forwards them. */
export const enum CalloutEvent { HttpResponse, GrpcInitialMetadata, GrpcReceive, GrpcTrailingMetadata, GrpcClose }

function ignoreEvent(ev: i32, token: u32, a: u32, b: u32, c: u32): void {}
function ignoreDelete(ctx: BaseContext): void {}
let eventHook: (ev: i32, token: u32, a: u32, b: u32, c: u32) => void = ignoreEvent;
let deleteHook: (ctx: BaseContext) => void = ignoreDelete;

/** @internal From the dispatcher: a callout callback (ignored until a callout was made). */
export function calloutEvent(ev: CalloutEvent, token: u32, a: u32, b: u32, c: u32): void { eventHook(ev, token, a, b, c); }

/** @internal From the dispatcher: a context was deleted. */
export function calloutsOfDeleted(ctx: BaseContext): void { deleteHook(ctx); }

function routeEvent(ev: i32, token: u32, a: u32, b: u32, c: u32): void {
  switch (ev) {
    case CalloutEvent.HttpResponse: deliverHttpCallResponse(token, a, b, c); break;
    case CalloutEvent.GrpcInitialMetadata: deliverGrpcInitialMetadata(token, a); break;
    case CalloutEvent.GrpcReceive: deliverGrpcReceive(token, a); break;
    case CalloutEvent.GrpcTrailingMetadata: deliverGrpcTrailingMetadata(token, a); break;
    case CalloutEvent.GrpcClose: deliverGrpcClose(token, a); break;
  }
}

let exported = false;

/** @internal Run by sdk/exports/callouts when the entry file re-exports it. */
export function markCalloutsExported(): void { exported = true; }

/** @internal False, with an error logged, when the module does not export the callout answer
 *  callbacks: Envoy would then drop every answer silently, so the call is not made at all. */
export function calloutsExported(what: string): bool {
  if (!exported) logError(what + ": callout answers not exported; add export * from sdk/exports/callouts");
  return exported;
}

export const HTTP: u64 = 1;
export const GRPC: u64 = 2;

export class Pending {
  http: HttpCallHandler | null = null;
  grpc: GrpcCallHandler | null = null;
  unary: bool = false;
  constructor(public ctx: BaseContext) {}
}

/** Created by the first callout (see the hooks above). */
let table: Map<u64, Pending> | null = null;

@inline function key(kind: u64, token: u32): u64 { return (kind << 32) | <u64>token; }

export function addPending(kind: u64, token: u32, p: Pending): void {
  if (table === null) {
    table = new Map<u64, Pending>();
    eventHook = routeEvent;
    deleteHook = dropPendingOf;
  }
  changetype<Map<u64, Pending>>(table).set(key(kind, token), p);
}

/** The entry, or null when unknown (cancelled, or its context was deleted). */
export function findPending(kind: u64, token: u32): Pending | null {
  const t = table;
  if (t === null) return null;
  const k = key(kind, token);
  return t.has(k) ? t.get(k) : null;
}

export function removePending(kind: u64, token: u32): void {
  const t = table;
  if (t !== null) t.delete(key(kind, token));
}

/** Number of calls waiting for an answer (tests, leak checks). */
export function pendingCallouts(): i32 { return table === null ? 0 : changetype<Map<u64, Pending>>(table).size; }

/** Forgets every call of a deleted context. Envoy keeps the call (it belongs to the root
 *  context), so an HTTP answer may still arrive: it is then ignored, as no handler remains.
 *  gRPC calls and streams are cancelled, so a stream's gRPC stream does not outlive it. */
function dropPendingOf(ctx: BaseContext): void {
  const t = changetype<Map<u64, Pending>>(table);   // installed with the table
  if (t.size == 0) return;
  const keys = t.keys();
  for (let i = 0; i < keys.length; i++) {
    const k = unchecked(keys[i]);
    if (t.get(k).ctx !== ctx) continue;
    t.delete(k);
    if ((k >> 32) == GRPC) proxy_grpc_cancel(<u32>k);
  }
}
