// What HTTP streams and TCP connections share: lazy in-VM context creation (ContextBase::onCreate),
// stream properties and filter state, and the end of a context (done, log, delete).
import { WasmResult } from "./abi.ts";
import { ContextBase, type PluginInfo, type RootContext } from "./context.ts";
import { encodeAny } from "./properties.ts";
import type { HeaderList, PropertyValue, StreamEvents } from "./types.ts";
import type { WasmVm } from "./vm.ts";

/**
 * How the stream was created: "vm" = a normal context in a running VM; "skip" = the plugin's VM had
 * failed and fail_open is set, so Envoy does not add the filter at all; "fail-closed" = the VM had
 * failed without fail_open, so Envoy adds an empty context that answers 503.
 */
export type StreamMode = "vm" | "skip" | "fail-closed";

let nextConnectionId = 1;
const NO_PROPERTIES: Record<string, PropertyValue> = Object.freeze({}) as Record<string, PropertyValue>;
const NO_EVENTS: StreamEvents = Object.freeze({});

export abstract class StreamContext extends ContextBase {
  readonly properties: Record<string, PropertyValue>;
  readonly events: StreamEvents;
  private fs: Map<string, Uint8Array> | null = null;
  readonly connectionId: number;
  /** CHECK_FAIL's stream_failed_ */
  streamFailed = false;

  constructor(vm: WasmVm, id: number, root: RootContext, plugin: PluginInfo, readonly mode: StreamMode,
    opts: { properties?: Record<string, PropertyValue>; events?: StreamEvents }) {
    super(vm, id, root, plugin);
    this.properties = opts.properties ?? NO_PROPERTIES;
    this.events = opts.events ?? NO_EVENTS;
    this.connectionId = nextConnectionId++;
  }

  /** set_property values ("wasm.<name>") and set_envoy_filter_state objects */
  get filterState(): Map<string, Uint8Array> {
    return (this.fs ??= new Map());
  }

  get worker(): number { return this.vm.worker; }
  override get isFailed(): boolean { return this.mode !== "vm" || this.vm.failed; }

  /** ContextBase::onCreate: proxy_on_context_create(id, root id) once, unless failed. */
  protected onCreate(): void {
    if (!this.isFailed && !this.created) {
      const f = this.vm.fns.proxy_on_context_create;
      if (f) this.vm.call(this, "proxy_on_context_create", f, this.contextId, this.root.contextId);
    }
    this.created = true;
  }

  override streamProperty(parts: string[]): Uint8Array | null | undefined {
    const key = parts.join(".");
    if (key === "connection_id" || key === "connection.id") return encodeAny(BigInt(this.connectionId));
    if (key in this.properties) return encodeAny(this.properties[key]);
    if (parts.length === 1 && this.fs) {
      const fs = this.fs.get(`wasm.${parts[0]}`);
      if (fs) return fs;
    }
    return undefined;
  }

  override setProperty(path: string, value: Uint8Array): WasmResult {
    this.filterState.set(`wasm.${path}`, value);
    return WasmResult.Ok;
  }

  override envoyFilterState(): Map<string, Uint8Array> { return this.filterState; }

  /**
   * Ends the context. HTTP (logFirst): proxy_on_log, then proxy_on_done, proxy_on_delete — Envoy's
   * HCM doDeferredStreamDestroy runs filter_manager_.log() (Context::log) before destroyFilters()
   * (Context::onDestroy: onDone, onDelete). TCP: done, log, delete (Context::onCloseTCP).
   * Each step is skipped once the VM has failed.
   */
  protected finishContext(logFirst: boolean): void {
    if (this.destroyed) return;
    this.destroyed = true;
    const vm = this.vm;
    if (this.created && !this.isFailed) {
      const done = vm.fns.proxy_on_done, del = vm.fns.proxy_on_delete;
      if (logFirst) this.runLog();
      if (done && !this.isFailed) vm.call(this, "proxy_on_done", done, this.contextId);
      if (!logFirst) this.runLog();
      if (del && !this.isFailed) vm.call(this, "proxy_on_delete", del, this.contextId);
    }
    vm.contexts.delete(this.contextId);
  }

  private runLog(): void {
    const log = this.vm.fns.proxy_on_log;
    if (!log || this.isFailed) return;
    this.beginLogPhase();
    this.vm.call(this, "proxy_on_log", log, this.contextId);
    this.endLogPhase();
  }
  protected beginLogPhase(): void {}
  protected endLogPhase(): void {}
}

