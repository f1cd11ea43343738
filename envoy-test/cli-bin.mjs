#!/usr/bin/env node
// The package "bin" entry: registers tsx so Node can load the TypeScript CLI, then runs it.
import { register } from "tsx/esm/api";

register();
const { main } = await import("./cli.ts");
process.exitCode = await main(process.argv.slice(2));
