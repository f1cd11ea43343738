// A loopback stand-in for the two Slack Web API methods the official websocket clients call
// before they connect, so @slack/rtm-api and @slack/socket-mode run unmodified against the gateway:
//   POST <base>/rtm.connect            -> {ok, url, team, self}  (RTMClient.ts, state "connecting":
//                                         webClient.rtm.connect, then the url, self.id, team.id)
//   POST <base>/apps.connections.open  -> {ok, url}              (SocketModeClient.ts retrieveWSSURL)
// Both clients take the base as an option (RTMClient `slackApiUrl`; SocketModeClient
// `clientOptions.slackApiUrl`, handed to its WebClient). Which websocket URL is handed out is the
// caller's choice at each call (`urlFor`): a drain test points it at the new gateway, as Slack's
// API hands a reconnecting client a different edge.
import http from "node:http";

export interface WebApiCall { method: "rtm.connect" | "apps.connections.open"; token: string; at: number }

export interface SlackWebApi {
  /** the base URL to give the clients (ends with /) */
  readonly url: string;
  /** every call, in order */
  readonly calls: WebApiCall[];
  close(): Promise<void>;
}

/** urlFor(method, token) is the websocket URL for that call. */
export async function startSlackWebApi(urlFor: (method: WebApiCall["method"], token: string) => string): Promise<SlackWebApi> {
  const calls: WebApiCall[] = [];
  const server = http.createServer((req, res) => {
    const method = (req.url ?? "").replace(/^\/api\//, "").split("?")[0];
    req.resume();
    req.on("end", () => {
      const token = (req.headers.authorization ?? "").replace(/^Bearer /, "");
      let body: Record<string, unknown>;
      if (req.method !== "POST" || (method !== "rtm.connect" && method !== "apps.connections.open")) {
        body = { ok: false, error: "unknown_method" };
      } else if (!token) {
        body = { ok: false, error: "not_authed" };
      } else {
        calls.push({ method, token, at: Date.now() });
        const url = urlFor(method, token);
        body = method === "rtm.connect"
          ? { ok: true, url, team: { id: "T0DEMO", name: "demo", domain: "demo" }, self: { id: `U${token.replace(/\W/g, "").slice(-8)}`, name: "bot" } }
          : { ok: true, url };
      }
      const text = JSON.stringify(body);
      res.writeHead(200, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
      res.end(text);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const a = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${a.port}/api/`,
    calls,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
