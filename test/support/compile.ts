// Compiling AssemblyScript test modules (test/fixtures/...): the helper the bench uses too.
export { ROOT, buildFixture, compileAs, wasmSize } from "../../bench/support/compile.ts";
