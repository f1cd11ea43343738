import assert from "node:assert/strict";
import { test } from "node:test";
import { ChunkedDecoder, headEnd, HttpParseError, parseResponseHead, responseFraming } from "../../envoy-test/gateway/http1.ts";
import { ServerCodec, type RequestHead } from "../../envoy-test/gateway/http1-codec.ts";

const bytes = (s: string): Buffer => Buffer.from(s, "latin1");

/** Runs one request through the downstream codec: its head, or the protocol error it raised. */
function parseRequestHead(raw: Buffer): Omit<RequestHead, "upgrade" | "hasBody"> {
  let head: RequestHead | null = null;
  let error: HttpParseError | null = null;
  const codec = new ServerCodec({ maxRequestHeadersKb: 60, maxHeadersCount: 100, acceptHttp10: false, allowAbsoluteUrl: true }, {
    onMessageBegin() {}, onHeaders(h) { head = h; return h.upgrade; }, onBody() {}, onMessageComplete() {},
    onProtocolError(e) { error = e; },
  });
  codec.execute(raw);
  if (error) throw error;
  assert.ok(head, "the codec delivered headers");
  const { method, target, version, headers } = head as RequestHead;
  return { method, target, version, headers };
}

test("a request head is complete only after its blank line", () => {
  assert.equal(headEnd(bytes("GET / HTTP/1.1\r\nhost: a\r\n")), -1);
  assert.equal(headEnd(bytes("GET / HTTP/1.1\r\nhost: a\r\n\r\nrest")), 27);
});

test("a websocket upgrade request parses into method, target, version and lower-cased headers", () => {
  const head = parseRequestHead(bytes(
    "GET /messages?x=1 HTTP/1.1\r\nHost: gw:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version:13\r\n\r\n"));
  assert.deepEqual(head, {
    method: "GET", target: "/messages?x=1", version: "1.1",
    headers: [["host", "gw:8080"], ["upgrade", "websocket"], ["connection", "Upgrade"],
      ["sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="], ["sec-websocket-version", "13"]],
  });
});

test("malformed request heads are 400s naming the problem", () => {
  const cases: [string, RegExp][] = [
    ["GET /\r\n\r\n", /request line is not "METHOD target HTTP\/1\.x"/],
    ["GET / HTTP/2.0\r\n\r\n", /request line is not/],
    ["GET / HTTP/1.1\r\n: empty-name\r\n\r\n", /Invalid header token/],
    ["GET / HTTP/1.1\r\nbad name: x\r\n\r\n", /Invalid header token/],
    ["GET / HTTP/1.1\r\n folded\r\n\r\n", /Unexpected space/],
  ];
  for (const [raw, message] of cases) {
    assert.throws(() => parseRequestHead(bytes(raw)), (e: unknown) => {
      assert.ok(e instanceof HttpParseError);
      assert.equal(e.status, 400);
      assert.match(e.message, message);
      return true;
    }, raw);
  }
});

test("content-length together with transfer-encoding is refused (request smuggling guard)", () => {
  assert.throws(() => parseRequestHead(bytes("POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n")),
    { message: "request has both content-length and transfer-encoding", status: 400 });
  assert.equal(parseRequestHead(bytes("POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 5\r\n\r\n")).method, "POST");
});

test("a 101 response head parses and frames no body; a response without length reads until close", () => {
  const h = parseResponseHead(bytes("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"));
  assert.equal(h.status, 101);
  assert.deepEqual(responseFraming(101, "GET", h.headers), { kind: "none" });
  assert.deepEqual(responseFraming(200, "GET", []), { kind: "close" });
  assert.deepEqual(responseFraming(200, "HEAD", [["content-length", "10"]]), { kind: "none" });
});

test("a chunked body split at every byte decodes to the same data", () => {
  // "hello" + " world" in two chunks with an extension and a trailer, then a pipelined request.
  const wire = bytes("5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nx-trailer: t\r\n\r\nGET /next");
  const d = new ChunkedDecoder();
  const out: Buffer[] = [];
  for (let i = 0; i < wire.length && !d.done; i++) out.push(...d.push(wire.subarray(i, i + 1)));
  assert.equal(Buffer.concat(out).toString(), "hello world");
  assert.equal(d.done, true);
  const whole = new ChunkedDecoder();
  assert.equal(Buffer.concat(whole.push(wire)).toString(), "hello world");
  assert.equal(whole.rest.toString(), "GET /next");
});

test("a chunk size that is not hex is a 400", () => {
  assert.throws(() => new ChunkedDecoder().push(bytes("zz\r\n")), { message: 'invalid chunk size "zz"' });
});
