// Bench peer for drain-signal: a body callback that reads the whole chunk zero-copy (getRaw)
// and frees it, doing nothing else: the floor for any filter that looks at body bytes.
export * from "../../../sdk/exports";
import { FilterDataStatus, HttpContext, RootContext, freeBytes, registerRootContext, responseBody } from "../../../sdk";

class ReadOnlyRoot extends RootContext {
  newHttpContext(id: u32): HttpContext | null { return new ReadOnly(id, this); }
}

class ReadOnly extends HttpContext {
  onResponseBody(bodySize: usize, endOfStream: bool): FilterDataStatus {
    const raw = responseBody.getRaw(0, bodySize);
    if (raw != null) freeBytes(raw.ptr);
    return FilterDataStatus.Continue;
  }
}

registerRootContext("read_only", (id: u32): RootContext => new ReadOnlyRoot(id));
