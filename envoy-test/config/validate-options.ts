// Options of the validator, in their own module so that validate.ts and the checks it runs
// (references.ts) both read them without importing each other.

export interface ValidateOptions {
  /** Where relative Wasm filenames are resolved (Envoy: its working directory). Default: cwd. */
  baseDir?: string;
  /** Run each Wasm module's on_configure in envoy-test/host (default true). */
  runModules?: boolean;
  /** Maps a Wasm filename as the proxy sees it to the local file to check (e.g. the container's
   *  /etc/envoy/wasm/x.wasm -> build/x.wasm). Default: the filename itself. */
  localWasmPath?: (filename: string) => string;
  /** Message type of the document (default envoy.config.bootstrap.v3.Bootstrap). */
  type?: string;
}
