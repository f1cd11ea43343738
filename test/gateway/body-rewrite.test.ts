// A filter that changes the size of a response body whose upstream sent a content-length.
// Envoy does not fix the length for it: the HTTP/1 codec takes a content-length header as the
// framing (no chunk encoding) and writes the body bytes it is handed as they are
// (source/common/http/http1/codec_impl.cc StreamEncoderImpl::encodeHeadersBase / encodeData).
// A filter that changes a body removes content-length in on_response_headers; the codec then
// frames the response with transfer-encoding: chunked. The gateway does the same.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startGateway, type Gateway } from "../../envoy-test/gateway/index.ts";
import { bootstrap, hcm, HTTP_WASM_TYPE, rawExchange, staticCluster } from "./support.ts";
import { assembleFile } from "../support/wat.ts";

const FIXTURE = new URL("../fixtures/gateway/body-rewrite.wat", import.meta.url).pathname;

function rewriter(file: string, rootId: string) {
  return {
    name: "envoy.filters.http.wasm",
    typed_config: {
      "@type": HTTP_WASM_TYPE,
      config: { name: rootId, root_id: rootId, vm_config: { vm_id: rootId, runtime: "envoy.wasm.runtime.v8", code: { local: { filename: file } } } },
    },
  };
}

describe("a wasm filter that rewrites a response body of fixed content-length", () => {
  let dir: string;
  let upstream: http.Server;
  let keep: Gateway;
  let drop: Gateway;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "gw-body-"));
    const wasm = join(dir, "body-rewrite.wasm");
    writeFileSync(wasm, await assembleFile(FIXTURE));
    // The upstream answers every request with the 5 bytes "hello" and content-length: 5.
    upstream = http.createServer((_req, res) => { res.writeHead(200, { "content-length": "5", "content-type": "text/plain" }); res.end("hello"); });
    await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", () => r()));
    const cluster = staticCluster("web", [{ address: "127.0.0.1", port: (upstream.address() as { port: number }).port }]);
    const routes = [{ match: { prefix: "/" }, route: { cluster: "web" } }];
    keep = await startGateway({ config: bootstrap([hcm(routes, {}, [rewriter(wasm, "keep_length")])], [cluster]) });
    drop = await startGateway({ config: bootstrap([hcm(routes, {}, [rewriter(wasm, "drop_length")])], [cluster]) });
  });

  after(async () => {
    await keep?.close();
    await drop?.close();
    await new Promise((r) => upstream?.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (g: Gateway) => rawExchange(g.listenerAddress("ingress").port, "GET /page HTTP/1.1\r\nhost: gw\r\nconnection: close\r\n\r\n");

  test("left alone, the upstream's content-length stays and the rewritten bytes follow it unframed, as Envoy's HTTP/1 codec writes them", async () => {
    const raw = await get(keep);
    const [head, body] = raw.split("\r\n\r\n");
    assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(head, /\r\ncontent-length: 5(\r\n|$)/);
    assert.doesNotMatch(head, /transfer-encoding/);
    assert.equal(body, "REWRITTEN-BODY!!", "16 bytes on the wire after a content-length of 5: a client reads 5 of them");
  });

  test("with content-length removed in on_response_headers the response goes out chunked and carries the whole new body", async () => {
    const raw = await get(drop);
    const [head, ...rest] = raw.split("\r\n\r\n");
    assert.doesNotMatch(head, /content-length/);
    assert.match(head, /\r\ntransfer-encoding: chunked(\r\n|$)/);
    assert.equal(rest.join("\r\n\r\n"), "10\r\nREWRITTEN-BODY!!\r\n0\r\n\r\n");
  });
});
