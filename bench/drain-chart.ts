// The drain benchmark's picture: reconnects per second over the drain window, one panel per run
// (clients connected together / spread out), RTMClient and SocketModeClient as bars side by side,
// and the even spread (clients of a kind / window) as a dashed line. Plain SVG, written by code so
// it can be redrawn from any results file:
//   npx tsx bench/drain-chart.ts [bench/results/<file>.json] [out.svg]   (default: newest, bench/drain-reconnects.svg)
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

interface Rate { bins: number[] }
interface KindResult { clients: number; reconnects_per_second: Rate; even_spread_per_second: number; offline_ms: { p50: number } | null }
interface Run { mode: string; kinds: Record<string, KindResult> }
export interface DrainResult { clients: number; window_ms: number; runs: Run[] }

const COLORS: Record<string, string> = { rtm: "#3b6fb6", "socket-mode": "#e08a2c" };
const LABEL: Record<string, string> = { rtm: "RTMClient", "socket-mode": "SocketModeClient" };
const MODE_TITLE: Record<string, string> = {
  together: "clients connected together",
  spread: "connect times spread out",
  "goodbye-only": "clients connected together, slack-rtm close_at_signal false (goodbye alone, Close after the grace)",
};
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");

export function drainChartSvg(d: DrainResult): string {
  const W = 760, PH = 230, top = 48, left = 48, right = 16, gap = 44;
  const seconds = Math.max(...d.runs.flatMap((r) => Object.values(r.kinds).map((k) => k.reconnects_per_second.bins.length)), Math.ceil(d.window_ms / 1000));
  const ymax = Math.max(10, ...d.runs.flatMap((r) => Object.values(r.kinds).flatMap((k) => k.reconnects_per_second.bins)));
  const yTop = Math.ceil(ymax / 20) * 20;
  const H = top + d.runs.length * (PH + gap) + 8;
  const plotW = W - left - right;
  const bw = plotW / seconds;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<text x="${left}" y="18" font-size="13" font-weight="bold">${esc(`Reconnects per second after a drain start: ${d.clients} official Slack clients, ${d.window_ms / 1000} s window`)}</text>`);
  let lx = left;
  for (const k of ["rtm", "socket-mode"]) {
    out.push(`<rect x="${lx}" y="28" width="10" height="10" fill="${COLORS[k]}"/><text x="${lx + 14}" y="37">${LABEL[k]}</text>`);
    lx += 130;
  }
  out.push(`<line x1="${lx}" y1="33" x2="${lx + 24}" y2="33" stroke="#333" stroke-dasharray="5,3"/><text x="${lx + 28}" y="37">even spread over the window (clients of a kind / window)</text>`);
  d.runs.forEach((run, p) => {
    const y0 = top + p * (PH + gap) + 18;
    const yOf = (v: number) => y0 + PH - (v / yTop) * PH;
    const kinds = Object.keys(run.kinds);
    const offline = kinds.map((k) => `${LABEL[k] ?? k} offline p50 ${run.kinds[k].offline_ms?.p50 ?? "?"} ms`).join(", ");
    out.push(`<text x="${left}" y="${y0 - 6}" font-weight="bold">${esc(MODE_TITLE[run.mode] ?? run.mode)}</text>`);
    out.push(`<text x="${W - right}" y="${y0 - 6}" text-anchor="end" fill="#555">${esc(offline)}</text>`);
    for (let v = 0; v <= yTop; v += yTop / 4) {
      out.push(`<line x1="${left}" y1="${yOf(v)}" x2="${W - right}" y2="${yOf(v)}" stroke="#e4e4e4"/><text x="${left - 4}" y="${yOf(v) + 4}" text-anchor="end">${v}</text>`);
    }
    kinds.forEach((k, ki) => {
      const bins = run.kinds[k].reconnects_per_second.bins;
      bins.forEach((v, i) => {
        if (v === 0) return;
        const x = left + i * bw + 1 + (ki * (bw - 2)) / kinds.length;
        out.push(`<rect x="${x.toFixed(1)}" y="${yOf(v).toFixed(1)}" width="${((bw - 2) / kinds.length).toFixed(1)}" height="${(PH - (yOf(v) - y0)).toFixed(1)}" fill="${COLORS[k] ?? "#888"}"><title>${LABEL[k] ?? k}: ${v} in second ${i}</title></rect>`);
      });
    });
    const even = Math.max(...kinds.map((k) => run.kinds[k].even_spread_per_second));
    out.push(`<line x1="${left}" y1="${yOf(even)}" x2="${left + (d.window_ms / 1000) * bw}" y2="${yOf(even)}" stroke="#333" stroke-dasharray="5,3"/>`);
    out.push(`<line x1="${left}" y1="${y0 + PH}" x2="${W - right}" y2="${y0 + PH}" stroke="#333"/>`);
    for (let s = 0; s <= seconds; s += 2) out.push(`<text x="${left + s * bw}" y="${y0 + PH + 13}" text-anchor="middle">${s}</text>`);
    out.push(`<text x="${W - right}" y="${y0 + PH + 26}" text-anchor="end" fill="#555">seconds from the drain start</text>`);
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}

function newestResults(): string {
  const files = readdirSync("bench/results").filter((f) => f.endsWith(".json")).sort();
  for (const f of files.reverse()) {
    const x = JSON.parse(readFileSync(`bench/results/${f}`, "utf8")) as { results?: { drain?: { runs?: unknown } } };
    if (x.results?.drain?.runs) return `bench/results/${f}`;
  }
  throw new Error("no results file in bench/results has the drain benchmark with the official clients (npm run bench -- --only=drain)");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const file = process.argv[2] ?? newestResults();
  const out = process.argv[3] ?? "bench/drain-reconnects.svg";
  const x = JSON.parse(readFileSync(file, "utf8")) as { results: { drain: DrainResult } };
  writeFileSync(out, drainChartSvg(x.results.drain));
  console.log(`${out} drawn from ${file}`);
}
