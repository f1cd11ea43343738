// Public types of the host driver API (docs/host-api.md).
import type { LogLevel, StreamType } from "./abi.ts";

export type HeaderList = [string, string][];

/** A property value as the host stores it: strings raw, numbers as 8-byte LE ints, booleans 1 byte. */
export type PropertyValue = string | number | bigint | boolean | Uint8Array | null;

export type LogLevelName = "trace" | "debug" | "info" | "warn" | "error" | "critical";
export const LOG_LEVEL_NAMES: readonly LogLevelName[] = ["trace", "debug", "info", "warn", "error", "critical"];

export interface LogEntry {
  level: LogLevelName;
  message: string;
  /** plugin name (or root id), as Envoy prefixes its log lines */
  plugin: string;
  vmId: string;
  worker: number;
  /** the context that was active when the line was written (0 outside any context) */
  contextId: number;
  /** PluginConfig name and root_id as configured (Envoy's "wasm log <name> <root_id> <vm_id>:" prefix) */
  pluginName?: string;
  rootId?: string;
  /** a line the host wrote about the VM (a trap's "Function: ... failed"), not the module */
  fromHost?: boolean;
}

/** A plugin as the host runs it: PluginConfig's name, root_id, vm_id, configuration, fail_open. */
export interface PluginInfo {
  name: string;
  rootId: string;
  vmId: string;
  configuration: Uint8Array;
  failOpen: boolean;
  /** PluginConfig.allow_on_headers_stop_iteration: a headers StopIteration is kept, not made StopAll */
  allowOnHeadersStopIteration?: boolean;
  properties: Record<string, PropertyValue>;
}

export interface LocalResponse {
  status: number;
  details: string;
  body: Uint8Array;
  headers: HeaderList;
  /** -1 when the module passed none (Envoy: grpc_status outside 0..16 means "not set") */
  grpcStatus: number;
}

export interface PluginOptions {
  wasm: string | Uint8Array;
  rootId: string;
  vmId?: string;
  name?: string;
  configuration?: string | Uint8Array;
  vmConfiguration?: string | Uint8Array;
  workers?: number;
  failOpen?: boolean;
  /**
   * PluginConfig.allow_on_headers_stop_iteration (Envoy 1.35+): StopIteration from a headers
   * callback stays StopIteration (the body still reaches the filter) instead of becoming
   * StopAllIterationAndWatermark. Default false, as in Envoy.
   */
  allowOnHeadersStopIteration?: boolean;
  kind?: "http" | "network";
  /** vm_config.environment_variables, seen through WASI environ_get */
  environment?: Record<string, string>;
}

export interface HttpCallResponse {
  headers: HeaderList;
  body: Uint8Array;
  trailers: HeaderList;
}

export interface CalloutTransport {
  httpCall(cluster: string, headers: HeaderList, body: Uint8Array, trailers: HeaderList,
    timeoutMs: number): Promise<HttpCallResponse>;
  /** optional: a gRPC unary call; without it gRPC calls wait in pendingCallouts() */
  grpcCall?(cluster: string, service: string, method: string, metadata: HeaderList, message: Uint8Array,
    timeoutMs: number): Promise<{ status: number; message: Uint8Array; initialMetadata?: HeaderList; trailingMetadata?: HeaderList }>;
}

export interface StreamEvents {
  onContinue?(type: StreamType): void;
  onClose?(type: StreamType): void;
  onLocalResponse?(r: LocalResponse): void;
}


export type { LogLevel };
