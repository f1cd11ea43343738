#!/usr/bin/env node
// The package "bin" entry. In the installed package it runs the compiled CLI (dist/, built by
// prepack); in this repository, where the TypeScript sources are, it runs them through tsx.
import { existsSync } from "node:fs";

const source = new URL("./cli.ts", import.meta.url);
let main;
if (existsSync(source)) {
  const { register } = await import("tsx/esm/api");
  register();
  ({ main } = await import(source.href));
} else {
  ({ main } = await import(new URL("../dist/cli.js", import.meta.url).href));
}
process.exitCode = await main(process.argv.slice(2));
