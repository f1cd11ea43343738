// Process-wide stats store, shared by every worker VM and by the gateway's admin interface
// (Envoy: one Stats::Store per server; wasm metrics live in it as `wasmcustom.<name>`).

export type StatType = "counter" | "gauge" | "histogram";

export class Counter { value = 0; inc(n = 1): void { this.value += n; } }
export class Gauge {
  value = 0;
  add(n: number): void { this.value += n; }
  sub(n: number): void { this.value -= n; }
  set(n: number): void { this.value = n; }
}
export class Histogram { values: number[] = []; record(v: number): void { this.values.push(v); } }

export class Stats {
  // One namespace per type, as Envoy's ThreadLocalStoreImpl keeps counters, gauges and histograms
  // in separate maps: a counter and a gauge may share a name (Context::defineMetric accepts both).
  private readonly counters = new Map<string, Counter>();
  private readonly gauges = new Map<string, Gauge>();
  private readonly histograms = new Map<string, Histogram>();

  counter(name: string): Counter { return get(this.counters, name, () => new Counter()); }
  gauge(name: string): Gauge { return get(this.gauges, name, () => new Gauge()); }
  histogram(name: string): Histogram { return get(this.histograms, name, () => new Histogram()); }

  /** The type of an existing stat (counter first, then gauge, then histogram), or undefined. */
  typeOf(name: string): StatType | undefined {
    return this.counters.has(name) ? "counter" : this.gauges.has(name) ? "gauge" : this.histograms.has(name) ? "histogram" : undefined;
  }

  /** Counter or gauge value (a counter when both exist; histograms: undefined). */
  get(name: string): number | undefined {
    return (this.counters.get(name) ?? this.gauges.get(name))?.value;
  }

  /** Every stat sorted by name, then type (counter, gauge, histogram), as /stats lists them. */
  all(): { name: string; type: StatType; value: number; values?: number[] }[] {
    const out: { name: string; type: StatType; value: number; values?: number[] }[] = [];
    for (const [name, c] of this.counters) out.push({ name, type: "counter", value: c.value });
    for (const [name, g] of this.gauges) out.push({ name, type: "gauge", value: g.value });
    for (const [name, h] of this.histograms) out.push({ name, type: "histogram", value: h.values.length, values: h.values });
    const rank = { counter: 0, gauge: 1, histogram: 2 };
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : rank[a.type] - rank[b.type]));
  }
}

function get<T>(m: Map<string, T>, name: string, create: () => T): T {
  let s = m.get(name);
  if (!s) { s = create(); m.set(name, s); }
  return s;
}
