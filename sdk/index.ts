// The public SDK surface (docs/sdk-api.md). The ABI callbacks are in ./exports, re-exported by
// each filter's entry file.
export * from "./enums";
export * from "./context";
export { registerRootContext, getContext, getRootContext, liveContexts } from "./dispatcher";
export { pendingCallouts } from "./callouts";
export * from "./headers";
export * from "./buffers";
export * from "./stream";
export * from "./properties";
export * from "./shared-data";
export * from "./shared-queue";
export * from "./metrics";
export * from "./log";
export * from "./timers";
export * from "./foreign";
export { HttpCallHandler } from "./http-call";
export { GrpcCallHandler, GrpcStreamHandler, grpcSend, grpcClose, grpcCancel } from "./grpc";
export { lastResult, resultName } from "./status";
export { setCollectSchedule, collectionCount } from "./gc";
export * from "./json";
export * from "./config";
export { mix64 } from "./hash";
export { asciiLower, equalsIgnoreCase, startsWithLower, hasToken, hasListElementNamed } from "./ascii";
export { utf8Encode, utf8Length, utf8Write } from "./utf8";
