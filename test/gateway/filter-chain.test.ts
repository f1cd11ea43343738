// FilterChain iteration with scripted filters standing in for Wasm streams: what the gateway does
// with each status, independent of any module.
import assert from "node:assert/strict";
import { test } from "node:test";
import { FilterDataStatus, FilterHeadersStatus, StreamType } from "../../envoy-test/host/index.ts";
import type { HeaderList, LocalResponse, Plugin, StreamEvents } from "../../envoy-test/host/index.ts";
import { FilterChain, type ChainSink } from "../../envoy-test/gateway/filter-chain.ts";

type Script = {
  onRequestHeaders?: (s: FakeStream, h: HeaderList) => FilterHeadersStatus;
  onRequestBody?: (s: FakeStream, d: Uint8Array, eos: boolean) => FilterDataStatus;
  onResponseHeaders?: (s: FakeStream, h: HeaderList) => FilterHeadersStatus;
};

class FakeStream {
  requestHeaders: HeaderList = []; responseHeaders: HeaderList = [];
  requestBody: Uint8Array = new Uint8Array(0); responseBody: Uint8Array = new Uint8Array(0);
  private reply: LocalResponse | null = null;
  /** as the host's HttpStream: a local reply is reported through the stream's events */
  get localResponse(): LocalResponse | null { return this.reply; }
  set localResponse(r: LocalResponse | null) { this.reply = r; if (r) this.events.onLocalResponse?.(r); }
  closed = false;
  completed = 0;
  constructor(readonly name: string, readonly script: Script, readonly events: StreamEvents, readonly log: string[]) {}
  callOnRequestHeaders(h: HeaderList): FilterHeadersStatus {
    this.log.push(`${this.name}:reqH`); this.requestHeaders = [...h];
    return this.script.onRequestHeaders?.(this, this.requestHeaders) ?? FilterHeadersStatus.Continue;
  }
  private buffering = false;
  /** as the host's HttpStream: after StopIterationAndBuffer the next chunk joins the buffered body */
  callOnRequestBody(d: Uint8Array, eos: boolean): FilterDataStatus {
    this.requestBody = this.buffering ? Buffer.concat([this.requestBody, d]) : d;
    this.log.push(`${this.name}:reqB(${Buffer.from(this.requestBody).toString()}${eos ? ",eos" : ""})`);
    const st = this.script.onRequestBody?.(this, this.requestBody, eos) ?? FilterDataStatus.Continue;
    this.buffering = st === FilterDataStatus.StopIterationAndBuffer;
    return st;
  }
  callOnResponseHeaders(h: HeaderList): FilterHeadersStatus {
    this.log.push(`${this.name}:resH`); this.responseHeaders = [...h];
    return this.script.onResponseHeaders?.(this, this.responseHeaders) ?? FilterHeadersStatus.Continue;
  }
  callOnResponseBody(d: Uint8Array): FilterDataStatus { this.log.push(`${this.name}:resB`); this.responseBody = d; return FilterDataStatus.Continue; }
  complete(): void { this.completed++; }
}

function chain(scripts: Record<string, Script>) {
  const log: string[] = [];
  const streams: FakeStream[] = [];
  const plugins = Object.entries(scripts).map(([name, script]) => ({
    workers: [{}],
    createHttpStream: (o: { events: StreamEvents }) => { const s = new FakeStream(name, script, o.events, log); streams.push(s); return s; },
  })) as unknown as Plugin[];
  const sink: ChainSink = {
    onRequestHeaders: (h) => log.push(`router:${h.map(([k, v]) => `${k}=${v}`).join(";")}`),
    onRequestData: (d, eos) => log.push(`upstream(${Buffer.from(d).toString()}${eos ? ",eos" : ""})`),
    onResponseHeaders: (h) => log.push(`client:${h.find(([k]) => k === ":status")?.[1]}`),
    onResponseData: () => log.push("client:data"),
    onLocalReply: (r) => log.push(`local:${r.status}`),
    onReset: () => log.push("reset"),
  };
  return { c: new FilterChain(plugins, 0, {}, sink), log, streams };
}

const REQ: HeaderList = [[":path", "/messages"], [":authority", "gw"]];

test("decoder filters run in order and a header they set reaches the router", () => {
  const { c, log } = chain({
    a: { onRequestHeaders: (_s, h) => { h.push(["x-wss-cluster", "messages"]); return FilterHeadersStatus.Continue; } },
    b: {},
  });
  c.decodeHeaders(REQ, false);
  assert.deepEqual(log, ["a:reqH", "b:reqH", "router::path=/messages;:authority=gw;x-wss-cluster=messages"]);
});

test("StopIteration pauses the later filters and the router until proxy_continue_stream; body waits too", () => {
  const { c, log, streams } = chain({ a: { onRequestHeaders: () => FilterHeadersStatus.StopIteration }, b: {} });
  c.decodeHeaders(REQ, false);
  c.decodeData(Buffer.from("early"), false);
  assert.deepEqual(log, ["a:reqH"]);
  streams[0].events.onContinue!(StreamType.HttpRequest);
  assert.deepEqual(log, ["a:reqH", "b:reqH", "router::path=/messages;:authority=gw", "a:reqB(early)", "b:reqB(early)", "upstream(early)"]);
});

test("body chunks that arrive while the headers are stopped reach the filter as one buffered chunk on continue", () => {
  const { c, log, streams } = chain({ a: { onRequestHeaders: () => FilterHeadersStatus.StopIteration }, b: {} });
  c.decodeHeaders(REQ, false);
  c.decodeData(Buffer.from("frame1"), false);
  c.decodeData(Buffer.from("frame2"), false);
  streams[0].events.onContinue!(StreamType.HttpRequest);
  assert.deepEqual(log.slice(3), ["a:reqB(frame1frame2)", "b:reqB(frame1frame2)", "upstream(frame1frame2)"]);
});

test("a body chunk a filter stops on is handed back to it whole with the next chunk", () => {
  let calls = 0;
  const { c, log } = chain({ a: { onRequestBody: () => (++calls === 1 ? FilterDataStatus.StopIterationAndBuffer : FilterDataStatus.Continue) } });
  c.decodeHeaders(REQ, false);
  c.decodeData(Buffer.from("ab"), false);
  c.decodeData(Buffer.from("cd"), true);
  assert.deepEqual(log.slice(2), ["a:reqB(ab)", "a:reqB(abcd,eos)", "upstream(abcd,eos)"]);
});

test("a local reply stops the decoder chain; the gateway's reply then passes every encoder filter in reverse", () => {
  const { c, log } = chain({
    a: {},
    b: { onRequestHeaders: (s) => { s.localResponse = { status: 404, details: "no_route", body: new Uint8Array(0), headers: [], grpcStatus: -1 }; return FilterHeadersStatus.StopIteration; } },
    c: {},
  });
  c.decodeHeaders(REQ, true);
  assert.deepEqual(log, ["a:reqH", "b:reqH", "local:404"]);
  c.encodeLocalReply([[":status", "404"]], new Uint8Array(0));
  assert.deepEqual(log.slice(3), ["c:resH", "b:resH", "a:resH", "client:404"]);
});

test("a local reply from a filter's response-headers callback goes straight to the client; no filter sees response headers twice", () => {
  const { c, log } = chain({
    a: {},
    b: { onResponseHeaders: (s) => { s.localResponse = { status: 500, details: "bad_upstream", body: Buffer.from("no"), headers: [], grpcStatus: -1 }; return FilterHeadersStatus.StopIteration; } },
    c: {},
  });
  c.decodeHeaders(REQ, true);
  c.encodeUpstreamHeaders([[":status", "200"]], false);
  assert.deepEqual(log.slice(4), ["c:resH", "b:resH", "local:500"]);
  c.encodeLocalReply([[":status", "500"]], Buffer.from("no"));
  assert.deepEqual(log.slice(7), ["client:500", "client:data"]);
});

test("a local reply while a filter holds the upstream response headers bypasses the encoder filters", () => {
  const { c, log } = chain({ a: {}, b: { onResponseHeaders: () => FilterHeadersStatus.StopIteration } });
  c.decodeHeaders(REQ, true);
  c.encodeUpstreamHeaders([[":status", "200"]], false);
  assert.deepEqual(log.slice(3), ["b:resH"]);
  c.encodeLocalReply([[":status", "504"]], Buffer.from("upstream request timeout"));
  assert.deepEqual(log.slice(4), ["client:504", "client:data"]);
});

test("proxy_close_stream outside a callback (a tick) resets the stream; complete() runs once per filter", () => {
  const { c, log, streams } = chain({ a: {}, b: {} });
  c.decodeHeaders(REQ, false);
  streams[1].events.onClose!(StreamType.HttpRequest);
  assert.equal(log.at(-1), "reset");
  c.complete(); c.complete();
  assert.deepEqual(streams.map((s) => s.completed), [1, 1]);
});

test("proxy_continue_stream inside the callback that returns StopIteration resumes the chain after it returns", async () => {
  const { c, log } = chain({
    a: { onRequestHeaders: (s) => { s.events.onContinue!(StreamType.HttpRequest); return FilterHeadersStatus.StopIteration; } },
    b: {},
  });
  c.decodeHeaders(REQ, true);
  assert.deepEqual(log, ["a:reqH"]);
  await Promise.resolve();
  assert.deepEqual(log, ["a:reqH", "b:reqH", "router::path=/messages;:authority=gw"]);
});
