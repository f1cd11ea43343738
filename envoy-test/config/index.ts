// envoy-test/config: typed Envoy config builder, writer and validator (docs/config.md).
export { EnvoyConfig, TYPES, wasmFilterEntry } from "./builder.ts";
export type { Address, ClusterSpec, ConfigOptions, HealthCheck, HttpListener, Json, Route, StatsTag, WasmFilter } from "./builder.ts";
export {
  defaultTopology, defaultWsRouterConfig, defaultConnAccountingConfig, defaultConnAccountingTcpConfig,
  defaultDrainSignalConfig, defaultOperatorDrainSignalConfig, DEFAULT_PORTS, DEV_DRAIN_TOKEN, INTERNAL_HEADERS,
  SERVICE_TAG, SERVICES, VM_ID,
} from "./default-topology.ts";
export type { DefaultTopologyOptions, DrainSettings, Service } from "./default-topology.ts";
export { validateConfig, validateFile, validateYaml, parseYaml, formatError } from "./validate.ts";
export type { ConfigProblem, ValidateOptions, ValidationResult } from "./validate.ts";
/** Former name of ConfigProblem (kept for existing callers). */
export type { ConfigProblem as ConfigError } from "./validate.ts";
export { filterTopology, parseAddress } from "./filter-topology.ts";
export type { FilterSpec, FilterTopologyOptions } from "./filter-topology.ts";
export { writeConfig, writeEds, writeAtomic, edsDocument, toYaml, ConfigValidationError } from "./write.ts";
export type { WriteOptions } from "./write.ts";
export { envoyRoot, lookupEnvoyType } from "./protos.ts";
