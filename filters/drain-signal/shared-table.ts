// Reading and compare-and-swap writing of the drain table in shared data (state.ts has the
// format). Each VM keeps the last table it read; streams look at that copy, so a body callback
// makes no shared-data hostcall. The root refreshes it on every tick and after its own writes.
import { utf8Encode } from "../../sdk/utf8";
import { getSharedData, setSharedData, WasmResult, logWarn } from "../../sdk";
import { DrainTable, STATE_KEY } from "./state";

@final
export class TableCache {
  table: DrainTable = new DrainTable();
  /** CAS of the shared value the table was read from; 0 forces the next refresh to decode. */
  cas: u32 = 0;
  /** Bumped on every change, so streams can re-pick their drain only when it changed. */
  version: u32 = 1;
  anyActive: bool = false;
  private lastError: string = "";

  /** Re-reads shared data when its CAS moved. */
  refresh(): void {
    const sv = getSharedData(STATE_KEY);
    if (sv.value == null) { if (this.table.entries.length > 0) this.adopt(new DrainTable(), 0); return; }
    if (sv.cas == this.cas && this.cas != 0) return;
    const t = DrainTable.decode(String.UTF8.decode(sv.value!, false));
    if (t == null) { this.warn("drain-signal: ignoring unreadable shared data: " + DrainTable.lastError); return; }
    this.adopt(t, sv.cas);
  }

  adopt(t: DrainTable, cas: u32): void {
    this.table = t;
    this.cas = cas;
    this.version++;
    this.anyActive = t.anyActive();
  }

  warn(message: string): void {
    if (message == this.lastError) return;
    this.lastError = message;
    logWarn(message);
  }
}

/** A change to the table; apply() may run several times (once per CAS attempt), each time on a
 *  fresh copy, and returns whether it changed the table. */
export abstract class TableEdit {
  abstract apply(t: DrainTable): bool;
}

export const enum EditResult { Unchanged = 0, Written = 1, Failed = -1 }

/** Applies `edit` to the shared table with CAS retries; the cache holds the result. */
export function editSharedTable(cache: TableCache, edit: TableEdit, attempts: i32 = 16): EditResult {
  for (let i = 0; i < attempts; i++) {
    const sv = getSharedData(STATE_KEY);
    let t: DrainTable | null = sv.value == null ? new DrainTable() : DrainTable.decode(String.UTF8.decode(sv.value!, false));
    if (t == null) {
      cache.warn("drain-signal: shared data " + STATE_KEY + " is unreadable: " + DrainTable.lastError);
      return EditResult.Failed;
    }
    if (!edit.apply(t)) { cache.adopt(t, sv.cas); return EditResult.Unchanged; }
    const r = setSharedData(STATE_KEY, utf8Encode(t.encode()), sv.cas);
    if (r == WasmResult.Ok) { cache.adopt(t, 0); return EditResult.Written; }
    if (r != WasmResult.CasMismatch) {
      cache.warn("drain-signal: writing " + STATE_KEY + " failed with status " + (<i32>r).toString());
      return EditResult.Failed;
    }
  }
  cache.warn("drain-signal: " + STATE_KEY + " kept changing under " + attempts.toString() + " CAS attempts");
  return EditResult.Failed;
}

/** Creates the key at configure time: a set on a missing key ignores CAS (proxy-wasm-cpp-host
 *  src/shared_data.cc, SharedData::set), so two VMs creating it at once could both win later. */
export function ensureSharedTable(): void {
  if (getSharedData(STATE_KEY).value == null) setSharedData(STATE_KEY, utf8Encode(new DrainTable().encode()), 0);
}
