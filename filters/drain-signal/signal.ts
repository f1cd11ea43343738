// The signal each service's clients understand, encoded once at configure time.
//   slack-rtm:   {"type":"goodbye"}  (Slack RTM API: the server will close soon; reconnect)
//   socket-mode: {"type":"disconnect","reason":"refresh_requested"}  (Slack Socket Mode; the
//                official @slack/socket-mode client reconnects on it)
//   close:       Close frame, code 1001 (going away, RFC 6455 7.4.1), empty reason
//   custom:      a text frame with configured text
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

@final
export class Signal {
  readonly frame: ArrayBuffer;
  readonly isClose: bool;
  constructor(readonly dialect: Dialect, readonly text: string) {
    this.isClose = dialect == Dialect.Close;
    if (dialect == Dialect.SlackRtm) this.frame = textFrame(GOODBYE);
    else if (dialect == Dialect.SocketMode) this.frame = textFrame(DISCONNECT);
    else if (dialect == Dialect.Close) this.frame = closeFrame(GOING_AWAY, "");
    else this.frame = textFrame(text);
  }
}

/** The Close 1001 sent after the grace. */
export function goingAwayFrame(): ArrayBuffer {
  return closeFrame(GOING_AWAY, "");
}
