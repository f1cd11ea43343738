// add-header: adds one configured header to every response.
// Plugin configuration: {"name": "x-powered-by", "value": "proxy-wasm-as"}; root_id "add_header".
// An HTTP filter without callouts: only the common and HTTP callbacks (sdk/exports.ts).
export * from "../../sdk/exports/common";
export * from "../../sdk/exports/http";
import {
  FilterHeadersStatus, HttpContext, registerRootContext, rejectConfiguration, responseHeaders, RootContext,
} from "../../sdk";
import { AddHeaderConfig, parseAddHeaderConfig } from "./config";

class AddHeaderRoot extends RootContext {
  config: AddHeaderConfig | null = null;

  onConfigure(size: usize): bool {
    const c = parseAddHeaderConfig(this.pluginConfiguration());
    if (c === null) return rejectConfiguration("add-header");
    this.config = c;
    return true;
  }

  newHttpContext(id: u32): HttpContext | null {
    return new AddHeader(id, this);
  }
}

class AddHeader extends HttpContext {
  onResponseHeaders(numHeaders: u32, endOfStream: bool): FilterHeadersStatus {
    // The root made this context (newHttpContext above), so the cast needs no runtime check.
    const c = changetype<AddHeaderRoot>(this.root).config;
    if (c !== null) responseHeaders.addBytes(c.name, c.value);
    return FilterHeadersStatus.Continue;
  }
}

registerRootContext("add_header", (id: u32): RootContext => new AddHeaderRoot(id));
