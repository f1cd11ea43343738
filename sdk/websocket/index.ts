// RFC 6455 frames for proxy-wasm filters: a streaming reader for body chunks and a writer of
// the frames a server injects. Pure code (no host imports). See README.md.
export { WsError, wsErrorName, wsErrorCloseCode } from "./errors";
export { FrameReader, Mask, Opcode, FRAME_READER_STATE_BYTES, FRAME_READER_COUNTERS_BYTES } from "./reader";
export { isWebSocketUpgrade, upgradeIsWebSocket, connectionHasUpgrade, negotiatesPermessageDeflate } from "./handshake";
export {
  MAX_CLOSE_REASON_BYTES, frameHeaderSize, writeFrameHeader,
  textFrame, textFrameSize, writeTextFrame,
  closeFrame, closeFrameSize, writeCloseFrame,
} from "./writer";
