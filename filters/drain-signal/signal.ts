// The signal each service's clients understand, encoded once at configure time.
//   slack-rtm:   {"type":"goodbye"}, by default followed at once by Close 1001: the official
//                @slack/rtm-api 7.x RTMClient ignores goodbye (RTMClient.ts onWebsocketMessage
//                acts only on hello and team_migration_started) and reconnects when the
//                websocket closes, so the Close is what moves it
//   socket-mode: {"type":"disconnect","reason":"refresh_requested"}  (@slack/socket-mode 3.x
//                SocketModeClient.ts onWebSocketMessage: closes with 1000 on any disconnect and
//                reconnects clientPingTimeout (5 s) after the close)
//   close:       Close frame, code 1001 (going away, RFC 6455 7.4.1), empty reason
//   custom:      a text frame with configured text
// closeAtSignal: the text frame is followed by Close 1001 in the same write (the client
// gets no grace).
import { textFrame, closeFrame } from "../../sdk/websocket";

export const enum Dialect { SlackRtm = 0, SocketMode = 1, Close = 2, Custom = 3 }

export const GOODBYE = '{"type":"goodbye"}';
export const DISCONNECT = '{"type":"disconnect","reason":"refresh_requested"}';
export const GOING_AWAY: u16 = 1001;

/** Dialect from its configuration name, or -1. */
export function dialectFromName(name: string): i32 {
  if (name == "slack-rtm") return Dialect.SlackRtm;
  if (name == "socket-mode") return Dialect.SocketMode;
  if (name == "close") return Dialect.Close;
  if (name == "custom") return Dialect.Custom;
  return -1;
}

/** Whether a dialect's signal is followed at once by Close 1001 unless configured otherwise:
 *  only slack-rtm, whose official client acts on the close and not on the goodbye. */
export function closesAtSignalByDefault(d: Dialect): bool { return d == Dialect.SlackRtm; }

@final
export class Signal {
  readonly frame: ArrayBuffer;
  /** The frame is only a Close (may go between fragments). */
  readonly isClose: bool;
  /** The frame ends with a Close: the stream is closed once it went out. */
  readonly closes: bool;
  constructor(readonly dialect: Dialect, readonly text: string, closeAtSignal: bool = false) {
    const isClose = dialect == Dialect.Close;
    let f: ArrayBuffer;
    if (dialect == Dialect.SlackRtm) f = textFrame(GOODBYE);
    else if (dialect == Dialect.SocketMode) f = textFrame(DISCONNECT);
    else if (dialect == Dialect.Close) f = closeFrame(GOING_AWAY, "");
    else f = textFrame(text);
    if (closeAtSignal && !isClose) f = concat(f, closeFrame(GOING_AWAY, ""));
    this.frame = f;
    this.isClose = isClose;
    this.closes = isClose || closeAtSignal;
  }
}

function concat(a: ArrayBuffer, b: ArrayBuffer): ArrayBuffer {
  const out = new ArrayBuffer(a.byteLength + b.byteLength);
  memory.copy(changetype<usize>(out), changetype<usize>(a), a.byteLength);
  memory.copy(changetype<usize>(out) + a.byteLength, changetype<usize>(b), b.byteLength);
  return out;
}

/** The Close 1001 sent after the grace. */
export function goingAwayFrame(): ArrayBuffer {
  return closeFrame(GOING_AWAY, "");
}
