// `import { FrameReader, ... } from "proxy-wasm-as/websocket"`: the RFC 6455 frame reader/writer.
export * from "./sdk/websocket/index";
