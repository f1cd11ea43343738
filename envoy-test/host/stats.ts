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

type Stat = { type: "counter"; s: Counter } | { type: "gauge"; s: Gauge } | { type: "histogram"; s: Histogram };

export class Stats {
  private readonly stats = new Map<string, Stat>();

  counter(name: string): Counter { return this.make(name, "counter", () => new Counter()) as Counter; }
  gauge(name: string): Gauge { return this.make(name, "gauge", () => new Gauge()) as Gauge; }
  histogram(name: string): Histogram { return this.make(name, "histogram", () => new Histogram()) as Histogram; }

  /** The type of an existing stat, or undefined. */
  typeOf(name: string): StatType | undefined { return this.stats.get(name)?.type; }

  /** Counter or gauge value (histograms: undefined). */
  get(name: string): number | undefined {
    const st = this.stats.get(name);
    if (!st || st.type === "histogram") return undefined;
    return st.s.value;
  }

  all(): { name: string; type: StatType; value: number; values?: number[] }[] {
    const out: { name: string; type: StatType; value: number; values?: number[] }[] = [];
    for (const [name, st] of [...this.stats].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
      if (st.type === "histogram") out.push({ name, type: "histogram", value: st.s.values.length, values: st.s.values });
      else out.push({ name, type: st.type, value: st.s.value });
    }
    return out;
  }

  private make(name: string, type: StatType, create: () => Counter | Gauge | Histogram): Counter | Gauge | Histogram {
    const st = this.stats.get(name);
    if (st) {
      if (st.type !== type) throw new Error(`stats: "${name}" already exists as a ${st.type}, not a ${type}`);
      return st.s;
    }
    const s = create();
    this.stats.set(name, { type, s } as Stat);
    return s;
  }
}
