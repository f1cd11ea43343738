// Hostile clients and backends against the gateway: what Envoy's HTTP/1 codec, HCM timers,
// watermark flow control and stream resets do with them (docs/envoy-fidelity.md, "Gateway").
import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, test } from "node:test";
import { startGateway, type Gateway } from "../../envoy-test/gateway/index.ts";
import { bootstrap, hcm, staticCluster, waitFor } from "./support.ts";

const UPGRADE = "GET /ws HTTP/1.1\r\nhost: gw\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n";

/** A backend: answers upgrades with a 101 and echoes raw bytes; other requests with 200 "<path>". */
async function backend(opts: { silent?: boolean; noRead?: boolean; respond?: (s: net.Socket) => void } = {}) {
  const sockets = new Set<net.Socket>();
  let requests = 0;
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => {});
    if (opts.noRead) { s.pause(); requests++; return; }
    let buf = "";
    let upgraded = false;
    s.on("data", (d) => {
      if (opts.silent) { requests++; return; }
      if (upgraded) { s.write(d); return; }
      buf += d.toString("latin1");
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      requests++;
      if (opts.respond) { opts.respond(s); return; }
      const path = buf.split(" ")[1];
      if (/\r\nupgrade: websocket/i.test(buf)) {
        upgraded = true;
        s.write("HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n\r\n");
        const rest = buf.slice(end + 4);
        if (rest) s.write(rest, "latin1");
      } else {
        s.end(`HTTP/1.1 200 OK\r\ncontent-length: ${path.length}\r\nconnection: close\r\n\r\n${path}`);
      }
      buf = "";
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port, sockets, get requests() { return requests; },
    close: async () => { for (const s of sockets) s.destroy(); await new Promise((r) => server.close(r)); },
  };
}

type Backend = Awaited<ReturnType<typeof backend>>;

async function gateway(b: Backend, hcmExtra: Record<string, unknown> = {}, route: Record<string, unknown> = {}, listenerExtra: Record<string, unknown> = {}, clusterExtra: Record<string, unknown> = {}): Promise<Gateway> {
  const config = bootstrap([hcm([{ match: { prefix: "/" }, route: { cluster: "b", ...route } }], hcmExtra)],
    [staticCluster("b", [{ address: "127.0.0.1", port: b.port }], clusterExtra)]);
  Object.assign(config.static_resources.listeners[0], listenerExtra);
  return startGateway({ config });
}

/** Writes a request and resolves with what was read once `until` matches; fails after 5 s. */
function rawExchange(port: number, request: string, until: (s: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1");
    let data = "";
    const timer = setTimeout(() => { s.destroy(); reject(new Error(`no complete answer in 5 s; read ${JSON.stringify(data.slice(0, 200))}`)); }, 5000);
    s.on("data", (d) => { data += d.toString("latin1"); if (until(data)) { clearTimeout(timer); s.destroy(); resolve(data); } });
    s.on("error", () => {});
    s.write(request);
  });
}

const status = (raw: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);

/** Connects, writes, and resolves with everything read until the gateway closes. */
function untilClose(port: number, chunks: (string | Buffer)[], gapMs = 0): Promise<{ data: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const s = net.connect(port, "127.0.0.1");
    let data = "";
    s.on("data", (d) => { data += d.toString("latin1"); });
    s.on("close", () => resolve({ data, ms: Date.now() - t0 }));
    s.on("error", () => {});
    s.on("connect", async () => {
      for (const c of chunks) {
        if (s.destroyed) break;
        s.write(c);
        if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
      }
    });
    setTimeout(() => { s.destroy(); reject(new Error(`connection still open after 10 s; read ${JSON.stringify(data.slice(0, 200))}`)); }, 10_000).unref();
  });
}

describe("Envoy's HTTP/1 codec rules", () => {
  let b: Backend; let gw: Gateway; let port: number;
  before(async () => { b = await backend(); gw = await gateway(b); port = gw.listenerAddress("ingress").port; });
  after(async () => { await gw?.close(); await b?.close(); });

  test("two differing host headers: 400, the connection closes", async () => {
    const { data } = await untilClose(port, [`${UPGRADE}host: other\r\n\r\n`]);
    assert.equal(status(data), 400);
  });

  test("two differing content-length headers: 400 and close; the second request is never answered", async () => {
    const { data } = await untilClose(port, ["POST /a HTTP/1.1\r\nhost: gw\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\nxxGET /b HTTP/1.1\r\nhost: gw\r\n\r\n"]);
    assert.equal(status(data), 400);
    assert.equal(data.match(/HTTP\/1\.1/g)?.length, 1);
  });

  test("transfer-encoding other than chunked (chunked + identity lines): 501", async () => {
    const { data } = await untilClose(port, ["POST /a HTTP/1.1\r\nhost: gw\r\ntransfer-encoding: chunked\r\ntransfer-encoding: identity\r\n\r\n0\r\n\r\n"]);
    assert.equal(status(data), 501);
  });

  test("an upgrade with two content-length headers is refused at the codec and never reaches the backend", async () => {
    const before = b.requests;
    const { data } = await untilClose(port, [`${UPGRADE}content-length: 0\r\ncontent-length: 5\r\n\r\n`]);
    assert.equal(status(data), 400);
    assert.equal(b.requests, before);
  });

  test("more than max_headers_count (100) headers: 431; 100 headers pass", async () => {
    const many = (n: number): string => Array.from({ length: n }, (_, i) => `x-h${i}: v\r\n`).join("");
    const { data } = await untilClose(port, [`GET /many HTTP/1.1\r\nhost: gw\r\n${many(100)}\r\n`]);
    assert.equal(status(data), 431);
    const ok = await rawExchange(port, `GET /ok HTTP/1.1\r\nhost: gw\r\n${many(99)}\r\n`, (s) => s.endsWith("/ok"));
    assert.equal(status(ok), 200);
  });

  test("10,000 headers in one request: 431 without reading them all", async () => {
    const flood = `GET /flood HTTP/1.1\r\nhost: gw\r\n${"a: b\r\n".repeat(10_000)}\r\n`;
    const { data } = await untilClose(port, [flood]);
    assert.equal(status(data), 431);
  });

  test("an HTTP/1.0 upgrade: 426 (accept_http_10 is false by default)", async () => {
    const { data } = await untilClose(port, [UPGRADE.replace("HTTP/1.1", "HTTP/1.0") + "\r\n"]);
    assert.equal(status(data), 426);
  });

  test("an unknown method: 400", async () => {
    const { data } = await untilClose(port, ["FOO /x HTTP/1.1\r\nhost: gw\r\n\r\n"]);
    assert.equal(status(data), 400);
  });

  test("a NUL in the request target: 400", async () => {
    const { data } = await untilClose(port, ["GET /a\0b HTTP/1.1\r\nhost: gw\r\n\r\n"]);
    assert.equal(status(data), 400);
  });

  test("a leading CRLF before the request line is ignored", async () => {
    const raw = await rawExchange(port, "\r\nGET /crlf HTTP/1.1\r\nhost: gw\r\n\r\n", (s) => s.endsWith("/crlf"));
    assert.equal(status(raw), 200);
  });

  test("repeated connection lines are joined: keep-alive + Upgrade is an upgrade", async () => {
    const req = UPGRADE.replace("connection: Upgrade\r\n", "connection: keep-alive\r\nconnection: Upgrade\r\n") + "\r\n";
    const raw = await rawExchange(port, req, (s) => s.includes("\r\n\r\n"));
    assert.equal(status(raw), 101);
  });

  test("an absolute-form target is routed by its path", async () => {
    const raw = await rawExchange(port, "GET http://elsewhere/messages HTTP/1.1\r\nhost: gw\r\n\r\n", (s) => s.endsWith("/messages"));
    assert.equal(status(raw), 200);
  });
});

describe("timeouts", () => {
  test("one byte then silence: stream_idle_timeout answers 408 stream timeout (the stream starts with the first byte)", async () => {
    const b = await backend();
    const gw = await gateway(b, { stream_idle_timeout: "0.3s" });
    try {
      const { data } = await untilClose(gw.listenerAddress("ingress").port, ["G"]);
      assert.equal(status(data), 408);
      assert.ok(data.endsWith("stream timeout"));
      assert.equal(gw.stats.get("http.ingress.downstream_rq_idle_timeout"), 1);
    } finally { await gw.close(); await b.close(); }
  });

  test("slowloris (a byte every 50 ms): request_headers_timeout closes the connection", async () => {
    const b = await backend();
    const gw = await gateway(b, { stream_idle_timeout: "5s", request_headers_timeout: "0.4s" });
    try {
      const bytes = [..."GET / HTTP/1.1\r\nhost: gw\r\nx-slow: " + "a".repeat(200)];
      const { data } = await untilClose(gw.listenerAddress("ingress").port, bytes, 50);
      assert.equal(data, "");
      assert.equal(gw.stats.get("http.ingress.downstream_rq_header_timeout"), 1);
    } finally { await gw.close(); await b.close(); }
  });

  test("a connection that sends nothing is closed at common_http_protocol_options.idle_timeout", async () => {
    const b = await backend();
    const gw = await gateway(b, { common_http_protocol_options: { idle_timeout: "0.3s", max_headers_count: 5 } });
    try {
      const { data } = await untilClose(gw.listenerAddress("ingress").port, []);
      assert.equal(data, "");
      assert.equal(gw.stats.get("http.ingress.downstream_cx_idle_timeout"), 1);
      // max_headers_count from the same options
      const many = await untilClose(gw.listenerAddress("ingress").port, ["GET / HTTP/1.1\r\nhost: gw\r\na: 1\r\nb: 2\r\nc: 3\r\nd: 4\r\ne: 5\r\n\r\n"]);
      assert.equal(status(many.data), 431);
    } finally { await gw.close(); await b.close(); }
  });

  test("accept_http_10 lets an HTTP/1.0 request through", async () => {
    const b = await backend();
    const gw = await gateway(b, { http_protocol_options: { accept_http_10: true } });
    try {
      const { data } = await untilClose(gw.listenerAddress("ingress").port, ["GET /old HTTP/1.0\r\nhost: gw\r\n\r\n"]);
      assert.equal(status(data), 200);
    } finally { await gw.close(); await b.close(); }
  });

  test("an upgrade to a backend that never answers: no route timeout (504) applies, stream_idle_timeout does (408)", async () => {
    const b = await backend({ silent: true });
    const gw = await gateway(b, { stream_idle_timeout: "0.6s" }, { timeout: "0.1s" });
    try {
      const { data } = await untilClose(gw.listenerAddress("ingress").port, [UPGRADE + "\r\n"]);
      assert.equal(status(data), 408);
      assert.equal(gw.stats.get("cluster.b.upstream_rq_timeout") ?? 0, 0);
    } finally { await gw.close(); await b.close(); }
  });
});

describe("a downstream close ends the stream at once", () => {
  test("clients that give up while their upstream hangs: upstream connections closed, gauges back to 0", async () => {
    const b = await backend({ silent: true });
    const gw = await gateway(b);
    const port = gw.listenerAddress("ingress").port;
    try {
      const clients = await Promise.all(Array.from({ length: 5 }, () => new Promise<net.Socket>((r) => {
        const s = net.connect(port, "127.0.0.1", () => { s.write(UPGRADE + "\r\n"); r(s); });
        s.on("error", () => {});
      })));
      await waitFor(() => b.sockets.size === 5 && gw.stats.get("http.ingress.downstream_rq_active") === 5, "5 streams upstream");
      for (const c of clients) c.end();
      await waitFor(() => b.sockets.size === 0, "upstream connections closed");
      await waitFor(() => gw.stats.get("http.ingress.downstream_rq_active") === 0 && gw.stats.get("cluster.b.upstream_cx_active") === 0
        && gw.stats.get("http.ingress.downstream_cx_active") === 0 && gw.stats.get("cluster.b.upstream_rq_active") === 0, "gauges at 0");
    } finally { await gw.close(); await b.close(); }
  });

  test("a client's FIN on an upgraded stream whose backend does not read ends the stream and its connections", async () => {
    const b = await backend({ respond: (s) => { s.write("HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n\r\n"); s.pause(); } });
    const gw = await gateway(b);
    const port = gw.listenerAddress("ingress").port;
    try {
      const c = net.connect(port, "127.0.0.1");
      c.on("error", () => {});
      let got = "";
      c.on("data", (d) => { got += d.toString("latin1"); });
      c.write(UPGRADE + "\r\n");
      await waitFor(() => got.includes("101"), "the 101");
      c.end(Buffer.alloc(4096, 0x41));
      await waitFor(() => gw.stats.get("http.ingress.downstream_cx_active") === 0 && gw.stats.get("http.ingress.downstream_cx_upgrades_active") === 0
        && gw.stats.get("cluster.b.upstream_cx_active") === 0, "gauges at 0");
    } finally { await gw.close(); await b.close(); }
  });
});

describe("watermark flow control (per_connection_buffer_limit_bytes)", () => {
  const TOTAL = 24 * 1024 * 1024;

  test("a backend sending to a client that does not read is read-disabled; the client then gets every byte", async () => {
    let flushed = 0;
    const b = await backend({
      respond: (s) => {
        s.write(`HTTP/1.1 200 OK\r\ncontent-length: ${TOTAL}\r\n\r\n`);
        const chunk = Buffer.alloc(64 * 1024, 0x62);
        let sent = 0;
        const pump = (): void => {
          while (sent < TOTAL) {
            sent += chunk.length;
            if (!s.write(chunk, () => { flushed += chunk.length; })) { s.once("drain", pump); return; }
          }
        };
        pump();
      },
    });
    const gw = await gateway(b, {}, {}, { per_connection_buffer_limit_bytes: 65536 }, { per_connection_buffer_limit_bytes: 65536 });
    try {
      const c = net.connect(gw.listenerAddress("ingress").port, "127.0.0.1");
      c.pause();
      c.write("GET /big HTTP/1.1\r\nhost: gw\r\n\r\n");
      await new Promise((r) => setTimeout(r, 1500));
      // Without flow control the gateway reads all 24 MiB from the backend at once; with it, only
      // what fits the sockets' kernel buffers and one limit's worth in the gateway.
      assert.ok(flushed < TOTAL / 2, `the backend got ${flushed} bytes out while the client read nothing`);
      let got = 0;
      c.on("data", (d) => { got += d.length; });
      c.resume();
      await waitFor(() => got >= TOTAL, "the whole body", 1500);
      c.destroy();
    } finally { await gw.close(); await b.close(); }
  });

  test("a client sending on an upgraded stream to a backend that does not read is read-disabled; the backend then gets every byte", async () => {
    let held: net.Socket | null = null;
    const b = await backend({ respond: (s) => { s.write("HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n\r\n"); s.pause(); held = s; } });
    const gw = await gateway(b, {}, {}, { per_connection_buffer_limit_bytes: 65536 }, { per_connection_buffer_limit_bytes: 65536 });
    try {
      const c = net.connect(gw.listenerAddress("ingress").port, "127.0.0.1");
      c.on("error", () => {});
      let got = "";
      c.on("data", (d) => { got += d.toString("latin1"); });
      c.write(UPGRADE + "\r\n");
      await waitFor(() => got.includes("101"), "the 101");
      let flushed = 0;
      const chunk = Buffer.alloc(64 * 1024, 0x63);
      let sent = 0;
      const pump = (): void => {
        while (sent < TOTAL) {
          sent += chunk.length;
          if (!c.write(chunk, () => { flushed += chunk.length; })) { c.once("drain", pump); return; }
        }
      };
      pump();
      await new Promise((r) => setTimeout(r, 1500));
      assert.ok(flushed < TOTAL / 2, `the client got ${flushed} bytes out while the backend read nothing`);
      let received = 0;
      const h = held as net.Socket | null;
      assert.ok(h);
      h.removeAllListeners("data");
      h.on("data", (d: Buffer) => { received += d.length; });
      h.resume();
      await waitFor(() => received >= TOTAL, "every byte at the backend", 1500);
      c.destroy();
    } finally { await gw.close(); await b.close(); }
  });
});
