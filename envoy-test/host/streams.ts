import type { FilterDataStatus, FilterHeadersStatus, FilterStatus, FilterTrailersStatus, PeerType } from "./abi.ts";
import type { HeaderList, LocalResponse } from "./types.ts";

export class HttpStream {
  readonly contextId: number = 0;
  readonly worker: number = 0;
  requestHeaders: HeaderList = []; responseHeaders: HeaderList = [];
  requestTrailers: HeaderList = []; responseTrailers: HeaderList = [];
  requestBody: Uint8Array = new Uint8Array(0); responseBody: Uint8Array = new Uint8Array(0);
  localResponse: LocalResponse | null = null;
  closed = false;
  callOnRequestHeaders(_h: HeaderList, _endOfStream = false): FilterHeadersStatus { throw new Error("not implemented yet"); }
  callOnRequestBody(_chunk: Uint8Array, _endOfStream = false): FilterDataStatus { throw new Error("not implemented yet"); }
  callOnRequestTrailers(_t: HeaderList): FilterTrailersStatus { throw new Error("not implemented yet"); }
  callOnResponseHeaders(_h: HeaderList, _endOfStream = false): FilterHeadersStatus { throw new Error("not implemented yet"); }
  callOnResponseBody(_chunk: Uint8Array, _endOfStream = false): FilterDataStatus { throw new Error("not implemented yet"); }
  callOnResponseTrailers(_t: HeaderList): FilterTrailersStatus { throw new Error("not implemented yet"); }
  complete(): void { throw new Error("not implemented yet"); }
}

export class TcpConnection {
  readonly contextId: number = 0;
  readonly worker: number = 0;
  downstreamData: Uint8Array = new Uint8Array(0); upstreamData: Uint8Array = new Uint8Array(0);
  closed = false;
  callOnNewConnection(): FilterStatus { throw new Error("not implemented yet"); }
  callOnDownstreamData(_chunk: Uint8Array, _endOfStream = false): FilterStatus { throw new Error("not implemented yet"); }
  callOnUpstreamData(_chunk: Uint8Array, _endOfStream = false): FilterStatus { throw new Error("not implemented yet"); }
  callOnDownstreamClose(_peer?: PeerType): void { throw new Error("not implemented yet"); }
  callOnUpstreamClose(_peer?: PeerType): void { throw new Error("not implemented yet"); }
  complete(): void { throw new Error("not implemented yet"); }
}
