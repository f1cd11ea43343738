// Shared queues, process-wide per vm_id (proxy-wasm-cpp-host src/shared_queue.cc): a queue is
// keyed by (vm_id, name); registering again keeps the token and the queued data but moves the
// notification to the registering root context (the last registration wins); enqueue posts
// proxy_on_queue_ready to that context on its own worker VM. The registering side gives a
// `notify` callback (hostcalls.ts: on_queue_ready on its root context), so this module needs no VM.
import { WasmResult } from "./abi.ts";

/** Called, as posted work, when data arrives in a queue. */
export type QueueNotify = (token: number) => void;

interface Queue { vmId: string; name: string; items: Uint8Array[]; notify: QueueNotify | null }

export class SharedQueues {
  private readonly tokens = new Map<string, number>();
  private readonly queues = new Map<number, Queue>();
  private nextToken = 1;

  constructor(private readonly post: (f: () => void) => void) {}

  register(vmId: string, name: string, notify: QueueNotify | null): number {
    const key = `${vmId}\0${name}`;
    let token = this.tokens.get(key);
    if (token === undefined) {
      while (this.nextToken === 0 || this.queues.has(this.nextToken)) this.nextToken = (this.nextToken + 1) >>> 0;
      token = this.nextToken++;
      this.tokens.set(key, token);
      this.queues.set(token, { vmId, name, items: [], notify });
    } else {
      this.queues.get(token)!.notify = notify;
    }
    return token;
  }

  /** 0 = no such queue */
  resolve(vmId: string, name: string): number {
    return this.tokens.get(`${vmId}\0${name}`) ?? 0;
  }

  dequeue(token: number): Uint8Array | WasmResult {
    const q = this.queues.get(token);
    if (!q) return WasmResult.NotFound;
    const item = q.items.shift();
    return item ?? WasmResult.Empty;
  }

  enqueue(token: number, data: Uint8Array): WasmResult {
    const q = this.queues.get(token);
    if (!q) return WasmResult.NotFound;
    q.items.push(data);
    const notify = q.notify;
    if (notify) this.post(() => notify(token));
    return WasmResult.Ok;
  }

  /** Items waiting in a queue (for tests), or undefined when the queue does not exist. */
  peek(vmId: string, name: string): Uint8Array[] | undefined {
    const t = this.resolve(vmId, name);
    return t ? [...this.queues.get(t)!.items] : undefined;
  }
}
