// RFC 6455 frames for proxy-wasm filters: a streaming reader for body chunks and a writer of
// the frames a server injects. Pure code (no host imports). See README.md.
export { WsError, wsErrorName, wsErrorCloseCode } from "./errors";
export { FrameReader, Mask, Opcode } from "./reader";
export {
  MAX_CLOSE_REASON_BYTES, frameHeaderSize, writeFrameHeader,
  textFrame, textFrameSize, writeTextFrame,
  closeFrame, closeFrameSize, writeCloseFrame,
} from "./writer";
