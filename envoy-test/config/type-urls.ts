// The Any type URLs envoy-test writes (config builder) and reads (gateway bootstrap, EDS files).
// An Any names its message as type.googleapis.com/<full proto name> (google/protobuf/any.proto).
const T = (name: string) => `type.googleapis.com/${name}` as const;

export const TYPE_URLS = {
  hcm: T("envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"),
  tcpProxy: T("envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy"),
  router: T("envoy.extensions.filters.http.router.v3.Router"),
  httpWasm: T("envoy.extensions.filters.http.wasm.v3.Wasm"),
  networkWasm: T("envoy.extensions.filters.network.wasm.v3.Wasm"),
  stringValue: T("google.protobuf.StringValue"),
  clusterLoadAssignment: T("envoy.config.endpoint.v3.ClusterLoadAssignment"),
} as const;
