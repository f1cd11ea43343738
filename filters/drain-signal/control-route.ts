// Trigger 2: the operator route. Answered with a local reply (Envoy's sendLocalResponse from
// the request-headers callback: source/extensions/common/wasm/context.cc) that says what was
// done; the request never reaches a backend.
import { HeaderPair, sendLocalResponseText, logInfo } from "../../sdk";
import { Control } from "./config";
import { applyControl, ControlAction, ControlOutcome, ControlRequest, DrainTiming, parseControlRequest } from "./control";
import { currentMs } from "./clock";
import { EditResult, TableCache, TableEdit, editSharedTable } from "./shared-table";
import { DrainTable } from "./state";

const JSON_HEADERS: HeaderPair[] = [new HeaderPair("content-type", "application/json")];

class ControlEdit extends TableEdit {
  outcome: ControlOutcome = new ControlOutcome();
  constructor(readonly req: ControlRequest, readonly timing: DrainTiming, readonly nowMs: u64) { super(); }
  apply(t: DrainTable): bool {
    this.outcome = applyControl(t, this.req, this.timing, this.nowMs);
    return this.outcome.changed;
  }
}

/** Token check in time independent of where the strings differ. */
function sameToken(given: string | null, want: string): bool {
  if (given == null || given.length != want.length) return false;
  let diff = 0;
  for (let i = 0; i < want.length; i++) diff |= given.charCodeAt(i) ^ want.charCodeAt(i);
  return diff == 0;
}

/** Handles one control request; always sends a local reply. */
export function answerControl(control: Control, method: string, path: string, token: string | null,
                              timing: DrainTiming, cache: TableCache): void {
  if (!sameToken(token, control.token)) {
    sendLocalResponseText(403, "drain_signal_forbidden", '{"error":"missing or wrong ' + control.tokenHeader + ' header"}', JSON_HEADERS);
    return;
  }
  const req = parseControlRequest(method, path, control.pathPrefix);
  if (req.error.length > 0) {
    sendLocalResponseText(400, "drain_signal_bad_request", '{"error":' + jsonString(req.error) + "}", JSON_HEADERS);
    return;
  }
  const now = currentMs();
  if (req.action == ControlAction.Status) cache.refresh();
  const edit = new ControlEdit(req, timing, now);
  const r = req.action == ControlAction.Status ? (edit.apply(cache.table) ? EditResult.Written : EditResult.Unchanged)
    : editSharedTable(cache, edit);
  if (r == EditResult.Failed) {
    sendLocalResponseText(503, "drain_signal_state_unavailable", '{"error":"the shared drain state could not be updated; see the Envoy log"}', JSON_HEADERS);
    return;
  }
  if (r == EditResult.Written) logInfo("drain-signal: operator " + path + ": " + edit.outcome.body);
  sendLocalResponseText(edit.outcome.status, "drain_signal_control", edit.outcome.body, JSON_HEADERS);
}

/** A JSON string literal (the reasons we produce hold quotes and, from paths, any byte). */
function jsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x22 || c == 0x5c) out += "\\" + String.fromCharCode(c);
    else if (c < 0x20) out += "\\u00" + (c < 0x10 ? "0" : "") + c.toString(16);
    else out += String.fromCharCode(c);
  }
  return out + '"';
}
