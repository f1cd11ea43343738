// Shared helpers of the benchmarks: machine description, timing by rounds, tables, results.
import { cpus, totalmem } from "node:os";
import { Host, ManualClock, type Plugin } from "../envoy-test/host/index.ts";

export interface Machine { cpus: number; cpuModel: string; memoryGiB: number; node: string; platform: string }

export function machine(): Machine {
  const c = cpus();
  return { cpus: c.length, cpuModel: c[0]?.model ?? "unknown", memoryGiB: +(totalmem() / 2 ** 30).toFixed(1),
    node: process.version, platform: `${process.platform}-${process.arch}` };
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** CPU time (user + system) of this process in ns, for `fn`. The machine is shared: waiting for a
 *  core is not the module's cost, so wall time would measure the neighbours. */
export function cpuNs(fn: () => void): number {
  const t0 = process.cpuUsage();
  fn();
  const t = process.cpuUsage(t0);
  return (t.user + t.system) * 1000;
}

/** Runs each case `rounds` times, interleaved so load hits all cases alike, after one warm-up
 *  round each; returns the median ns per iteration of each case. */
export function interleavedMedians(cases: Record<string, (iterations: number) => void>, iterations: number, rounds: number): Record<string, number> {
  const names = Object.keys(cases);
  for (const n of names) cases[n](iterations);
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) for (const n of names) samples[n].push(cpuNs(() => cases[n](iterations)) / iterations);
  return Object.fromEntries(names.map((n) => [n, median(samples[n])]));
}

/** Every table printed in this run, in order (run.ts keeps them with the figures). */
export const printed: string[] = [];

export type Cell = string | number | null | undefined;

/** Prints a plain table: a title, a header row and right-aligned numbers. */
export function table(title: string, header: string[], rows: Cell[][]): string {
  const text = rows.map((r) => r.map((c) => (c === null || c === undefined ? "-" : typeof c === "number" ? fmt(c) : c)));
  const widths = header.map((h, i) => Math.max(h.length, ...text.map((r) => r[i].length)));
  // Numbers right-aligned, text left-aligned (a column is numeric when no cell holds text).
  const numeric = header.map((_, i) => i > 0 && rows.every((r) => typeof r[i] !== "string"));
  const line = (cells: string[]): string => "| " + cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(" | ") + " |";
  const out = [`\n${title}`, line(header), "|" + widths.map((w, i) => "-".repeat(w + 1) + (numeric[i] ? ":" : "-")).join("|") + "|", ...text.map(line)].join("\n");
  console.log(out);
  printed.push(out.trim());
  return out;
}

export function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return n.toLocaleString("en-US");
  const a = Math.abs(n);
  return a >= 100 ? Math.round(n).toLocaleString("en-US") : a >= 10 ? n.toFixed(1) : a >= 1 ? n.toFixed(2) : n.toFixed(3);
}

export const ratio = (a: number | null | undefined, b: number | null | undefined): number | null =>
  a === null || a === undefined || b === null || b === undefined || b === 0 ? null : +(a / b).toFixed(2);

/** A target line: what, the figure, the limit, met or MISSED (printed and kept in the results). */
export interface Target { what: string; value: number | null; limit: number; unit: string; met: boolean | null }

export function target(what: string, value: number | null, limit: number, unit: string): Target {
  const met = value === null ? null : value <= limit;
  console.log(`  target ${what}: ${value === null ? "not measured" : `${fmt(value)} ${unit}`} (limit ${fmt(limit)} ${unit}) ${met === null ? "UNKNOWN" : met ? "met" : "MISSED"}`);
  return { what, value, limit, unit, met };
}

/** A plugin on one worker of a host with a manual clock and no log recording, as every host
 *  benchmark times it; `what` names it when it fails to start. */
export async function benchPlugin(what: string, opts: Omit<Parameters<Host["loadPlugin"]>[0], "workers">, countHostcalls = false): Promise<{ host: Host; plugin: Plugin }> {
  const host = new Host({ clock: new ManualClock(), recordLogs: false, countHostcalls });
  const plugin = await host.loadPlugin({ ...opts, workers: 1 });
  if (plugin.failed) throw new Error(`${what}: plugin failed to start`);
  return { host, plugin };
}
