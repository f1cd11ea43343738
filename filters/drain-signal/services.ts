// The service names of the root's open websockets, each kept once: a stream holds a u16 index
// instead of its own copy of the x-wss-service value (a 48-byte string per websocket). Each
// name carries what every stream of that service shares: its signal and the drain that applies
// to it (DrainTable.effectiveFor, recomputed when the VM's copy of the table changes).
//
// A name is freed when its last stream ends, so header values seen once do not accumulate.
// Index 0 is the empty name (no service header), never freed. When MAX_NAMES names are in use
// at once, a new name is treated as the empty one: the default signal, all-service drains only
// (logged once).
import { logWarn } from "../../sdk";
import { DrainConfig } from "./config";
import { TableCache } from "./shared-table";
import { Signal } from "./signal";
import { DrainEntry } from "./state";

export const MAX_NAMES: i32 = 0x10000;
export const UNNAMED: u16 = 0;

@final
class ServiceName {
  refs: u32 = 0;
  drain: DrainEntry | null = null;
  drainVersion: u32 = 0;   // TableCache.version that `drain` was read at (0: never)
  constructor(readonly name: string, public signal: Signal) {}
}

@final
export class ServiceNames {
  private names: Array<ServiceName | null> = [];
  private free: u16[] = [];
  private byName: Map<string, u16> = new Map();
  private full: bool = false;

  /** Sets every name's signal from the configuration (on configure: the stream's signal follows
   *  its service, as DrainConfig.signalFor says). */
  configure(config: DrainConfig): void {
    if (this.names.length == 0) {
      this.names.push(new ServiceName("", config.signalFor("")));
      this.byName.set("", UNNAMED);
    }
    for (let i = 0; i < this.names.length; i++) {
      const n = this.names[i];
      if (n != null) n.signal = config.signalFor(n.name);
    }
  }

  /** The index of `name`, counting one more stream of it. */
  acquire(name: string, config: DrainConfig): u16 {
    let i: u16;
    if (this.byName.has(name)) {
      i = this.byName.get(name);
    } else {
      const n = new ServiceName(name, config.signalFor(name));
      if (this.free.length > 0) {
        i = this.free.pop();
        this.names[i] = n;
      } else if (this.names.length < MAX_NAMES) {
        i = <u16>this.names.length;
        this.names.push(n);
      } else {
        if (!this.full) {
          this.full = true;
          logWarn("drain-signal: " + MAX_NAMES.toString() + " service names in use at once: streams of further names get the default signal and only all-service drains");
        }
        return UNNAMED;
      }
      this.byName.set(name, i);
    }
    if (i != UNNAMED) this.names[i]!.refs++;
    return i;
  }

  /** One stream of name `i` ended; the name is freed with its last stream. */
  release(i: u16): void {
    if (i == UNNAMED) return;
    const n = this.names[i]!;
    if (--n.refs > 0) return;
    this.byName.delete(n.name);
    this.names[i] = null;
    this.free.push(i);
  }

  @inline name(i: u16): string { return this.names[i]!.name; }
  @inline signal(i: u16): Signal { return this.names[i]!.signal; }

  /** The active drain that applies to service `i` in the VM's current copy of the table. */
  drainFor(i: u16, cache: TableCache): DrainEntry | null {
    const n = this.names[i]!;
    if (n.drainVersion != cache.version) {
      n.drain = cache.table.effectiveFor(n.name);
      n.drainVersion = cache.version;
    }
    return n.drain;
  }
}
