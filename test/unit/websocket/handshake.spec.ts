import { isWebSocketUpgrade, negotiatesPermessageDeflate } from "../../../sdk/websocket";

describe("isWebSocketUpgrade (Envoy's Utility::isWebSocketUpgradeRequest)", () => {
  it("takes Upgrade websocket in any case with Connection holding the upgrade token", () => {
    expect(isWebSocketUpgrade("websocket", "Upgrade")).toBe(true);
    expect(isWebSocketUpgrade("WebSocket", "keep-alive, Upgrade")).toBe(true);
  });
  it("does not take a list of protocols: the whole Upgrade value must be websocket", () => {
    expect(isWebSocketUpgrade("h2c, websocket", "Upgrade")).toBe(false);
  });
  it("does not take other protocols, prefixes, or a missing header", () => {
    expect(isWebSocketUpgrade("h2c", "Upgrade")).toBe(false);
    expect(isWebSocketUpgrade("websockets", "Upgrade")).toBe(false);
    expect(isWebSocketUpgrade("", "Upgrade")).toBe(false);
    expect(isWebSocketUpgrade(null, "Upgrade")).toBe(false);
    expect(isWebSocketUpgrade("websocket", null)).toBe(false);
    expect(isWebSocketUpgrade("websocket", "keep-alive")).toBe(false);
    expect(isWebSocketUpgrade("websocket", "upgraded")).toBe(false);
  });
});

describe("negotiatesPermessageDeflate", () => {
  it("finds the extension by name, with or without parameters, in any case and list position", () => {
    expect(negotiatesPermessageDeflate("permessage-deflate")).toBe(true);
    expect(negotiatesPermessageDeflate("Permessage-Deflate; client_max_window_bits=10")).toBe(true);
    expect(negotiatesPermessageDeflate("x-webkit, permessage-deflate ;server_no_context_takeover")).toBe(true);
  });
  it("does not take another extension whose name or parameter contains the words", () => {
    expect(negotiatesPermessageDeflate("x-permessage-deflate-draft")).toBe(false);
    expect(negotiatesPermessageDeflate("x-ext; mode=permessage-deflate")).toBe(false);
    expect(negotiatesPermessageDeflate(null)).toBe(false);
    expect(negotiatesPermessageDeflate("")).toBe(false);
  });
});
