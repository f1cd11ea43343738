import type { HttpStream, TcpConnection } from "./streams.ts";
import type { PropertyValue, StreamEvents } from "./types.ts";

export class PluginLoadError extends Error {}

export class WorkerVm {
  readonly index: number = 0;
  failed = false;
  rootContextId = 0;
  memoryBytes(): Uint8Array { throw new Error("not implemented yet"); }
}

export class Plugin {
  readonly workers: WorkerVm[] = [];
  get failed(): boolean { return this.workers.some((w) => w.failed); }
  createHttpStream(_opts?: { worker?: number; properties?: Record<string, PropertyValue>; events?: StreamEvents }): HttpStream { throw new Error("not implemented yet"); }
  createTcpConnection(_opts?: { worker?: number; properties?: Record<string, PropertyValue>; events?: StreamEvents }): TcpConnection { throw new Error("not implemented yet"); }
  tick(_worker?: number): void { throw new Error("not implemented yet"); }
  configure(_configuration: string): boolean { throw new Error("not implemented yet"); }
  callForeign(_worker: number, _functionId: number, _args: Uint8Array): void { throw new Error("not implemented yet"); }
  shutdown(): void { throw new Error("not implemented yet"); }
}
