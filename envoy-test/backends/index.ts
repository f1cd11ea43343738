// The demo backends of the default topology: messages, presence and apps, two instances each.
// Ports: basePort + 0..5 in the order messages#0, messages#1, presence#0, presence#1, apps#0,
// apps#1; basePort 0 picks free ports.
import { EnvelopeStore, WsService, type ServiceOptions } from "./ws-service.ts";

export { EnvelopeStore, WsService, DISCONNECT_REASONS, type DisconnectReason } from "./ws-service.ts";
export const SERVICES = ["messages", "presence", "apps"] as const;
export type ServiceName = (typeof SERVICES)[number];

export interface BackendsOptions {
  basePort: number;
  /** explicit ports per service (e.g. the default topology's 9101/9102, 9111/9112, 9121/9122);
   *  services not listed use basePort + their index */
  ports?: Partial<Record<string, number[]>>;
  host?: string;
  instancesPerService?: number;
  services?: readonly string[];
  pingIntervalMs?: number;
  eventIntervalMs?: number;
}

export interface Backends {
  /** every instance, by service */
  readonly instances: Record<string, WsService[]>;
  /** Socket Mode envelopes, by service (shared by its instances: a redelivery may go to either) */
  readonly envelopes: Record<string, EnvelopeStore>;
  /** socket addresses by service, as a config's endpoints list wants them */
  endpoints(service: string): { address: string; port: number }[];
  close(): Promise<void>;
}

export async function startBackends(opts: BackendsOptions): Promise<Backends> {
  const services = opts.services ?? SERVICES;
  const n = opts.instancesPerService ?? 2;
  const instances: Record<string, WsService[]> = {};
  const envelopes: Record<string, EnvelopeStore> = {};
  const all: WsService[] = [];
  let i = 0;
  try {
    for (const service of services) {
      instances[service] = [];
      envelopes[service] = new EnvelopeStore();
      for (let k = 0; k < n; k++) {
        const o: ServiceOptions = {
          service, host: opts.host, envelopes: envelopes[service],
          port: opts.ports?.[service]?.[k] ?? (opts.basePort === 0 ? 0 : opts.basePort + i),
          pingIntervalMs: opts.pingIntervalMs, eventIntervalMs: opts.eventIntervalMs,
        };
        i++;
        const s = new WsService(o);
        await s.start();
        instances[service].push(s);
        all.push(s);
      }
    }
  } catch (e) {
    await Promise.all(all.map((s) => s.close()));
    throw e;
  }
  return {
    instances,
    envelopes,
    endpoints: (service) => {
      const list = instances[service];
      if (!list) throw new Error(`backends: no service "${service}" (services: ${Object.keys(instances).join(", ")})`);
      return list.map((s) => s.address);
    },
    close: async () => { await Promise.all(all.map((s) => s.close())); },
  };
}
