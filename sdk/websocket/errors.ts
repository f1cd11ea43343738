// Why a FrameReader stopped. Values are stable: filters log and count them by number.
// Each names the RFC 6455 section it enforces; the offset the reader reports is given per code.
export enum WsError {
  None = 0,
  /** Opcode 0x3-0x7 or 0xB-0xF (RFC 6455 5.2). Offset: the frame's first byte. */
  ReservedOpcode = 1,
  /** RSV1 without a negotiated extension, RSV2/RSV3 at all (5.2), or RSV1 on a control or
   *  continuation frame (RFC 7692 6.1: only a message's first frame is marked). Offset: first byte. */
  RsvWithoutExtension = 2,
  /** Control frame with a payload length over 125 (5.5). Offset: the second byte. */
  ControlTooLong = 3,
  /** Control frame without FIN (5.5: control frames MUST NOT be fragmented). Offset: first byte. */
  ControlFragmented = 4,
  /** 64-bit length with the most significant bit set (5.2). Offset: first extended-length byte. */
  LengthTooLong = 5,
  /** Continuation frame while no fragmented message is open (5.4). Offset: first byte. */
  UnexpectedContinuation = 6,
  /** Text/Binary frame while a fragmented message is still open (5.4). Offset: first byte. */
  ExpectedContinuation = 7,
  /** MASK bit contradicts the reader's policy (5.1: clients mask, servers do not). Offset: second byte. */
  MaskPolicy = 8,
  /** Extended length not in the minimal number of bytes (5.2: "the minimal number of bytes MUST
   *  be used"): 16-bit form for < 126, 64-bit form for < 65536. Offset: first extended-length byte. */
  NonMinimalLength = 9,
  /** Close frame with a 1-byte payload: a Close body starts with a 2-byte code (5.5.1).
   *  Offset: the second byte. */
  CloseLengthOne = 10,
}

/** A stable lowercase name for logs and stats tags, e.g. "reserved_opcode". */
export function wsErrorName(e: WsError): string {
  switch (e) {
    case WsError.None: return "none";
    case WsError.ReservedOpcode: return "reserved_opcode";
    case WsError.RsvWithoutExtension: return "rsv_without_extension";
    case WsError.ControlTooLong: return "control_too_long";
    case WsError.ControlFragmented: return "control_fragmented";
    case WsError.LengthTooLong: return "length_too_long";
    case WsError.UnexpectedContinuation: return "unexpected_continuation";
    case WsError.ExpectedContinuation: return "expected_continuation";
    case WsError.MaskPolicy: return "mask_policy";
    case WsError.NonMinimalLength: return "non_minimal_length";
    case WsError.CloseLengthOne: return "close_length_one";
  }
  return "unknown";
}

/** The close code a server sends for a reader error: 1002 protocol error (RFC 6455 7.4.1). */
export function wsErrorCloseCode(e: WsError): u16 {
  return e == WsError.None ? <u16>1000 : <u16>1002;
}
