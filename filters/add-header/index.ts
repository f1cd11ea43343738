// add-header: adds one configured header to every response.
// Plugin configuration: {"name": "x-powered-by", "value": "proxy-wasm-as"}; root_id "add_header".
// An HTTP filter without callouts: only the common and HTTP callbacks (sdk/exports.ts).
export * from "../../sdk/exports/common";
export * from "../../sdk/exports/http";
import {
  FilterHeadersStatus, HttpContext, logError, registerRootContext, responseHeaders, RootContext,
} from "../../sdk";
import { AddHeaderConfig, parseAddHeaderConfig } from "./config";

class AddHeaderRoot extends RootContext {
  config: AddHeaderConfig = new AddHeaderConfig("", "");

  onConfigure(size: usize): bool {
    const parsed = parseAddHeaderConfig(this.pluginConfiguration());
    if (parsed.config === null) {
      logError("add-header: bad configuration: " + (parsed.error as string));
      return false;
    }
    this.config = parsed.config as AddHeaderConfig;
    return true;
  }

  newHttpContext(id: u32): HttpContext | null {
    return new AddHeader(id, this);
  }
}

class AddHeader extends HttpContext {
  onResponseHeaders(numHeaders: u32, endOfStream: bool): FilterHeadersStatus {
    const c = (this.root as AddHeaderRoot).config;
    responseHeaders.add(c.name, c.value);
    return FilterHeadersStatus.Continue;
  }
}

registerRootContext("add_header", (id: u32): RootContext => new AddHeaderRoot(id));
