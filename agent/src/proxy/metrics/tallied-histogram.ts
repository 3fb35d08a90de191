import { Histogram, type Registry } from 'prom-client';

type Labels = Readonly<Record<string, string>>;

/** A line of the exposition in the shape prom-client's Registry formats: the series' labels shared. */
interface ExposedValue {
  metricName: string;
  labels: Record<string, string | number>;
  sharedLabels: Labels;
  value: number;
  /** Never kept here; present as in prom-client's own values (null on buckets, undefined on sum and count). */
  exemplar: null | undefined;
}

/**
 * One label set of a TalliedHistogram. Observing is an array increment: the label values
 * were bound when the series was made, and nothing is hashed or allocated per value.
 */
export class HistogramSeries {
  readonly labels: Labels;
  readonly #bounds: readonly number[];
  /** Observations per bucket, not cumulative; the last counts those above every bound. */
  readonly #counts: number[];
  #sum = 0;
  #count = 0;

  constructor(labels: Labels, bounds: readonly number[]) {
    this.labels = labels;
    this.#bounds = bounds;
    this.#counts = new Array<number>(bounds.length + 1).fill(0);
  }

  get count(): number {
    return this.#count;
  }

  observe(value: number): void {
    const bounds = this.#bounds;
    let bucket = 0;
    while (bucket < bounds.length && value > (bounds[bucket] ?? Infinity)) bucket++;
    this.#counts[bucket] = (this.#counts[bucket] ?? 0) + 1;
    this.#sum += value;
    this.#count++;
  }

  /** Cumulative buckets, +Inf, sum and count, as prom-client's own histogram exposes them. */
  exposition(name: string): ExposedValue[] {
    const sharedLabels = this.labels;
    const values: ExposedValue[] = [];
    let cumulative = 0;
    this.#bounds.forEach((bound, bucket) => {
      cumulative += this.#counts[bucket] ?? 0;
      values.push({ metricName: `${name}_bucket`, labels: { le: bound }, sharedLabels, value: cumulative, exemplar: null });
    });
    values.push(
      { metricName: `${name}_bucket`, labels: { le: '+Inf' }, sharedLabels, value: this.#count, exemplar: null },
      { metricName: `${name}_sum`, labels: {}, sharedLabels, value: this.#sum, exemplar: undefined },
      { metricName: `${name}_count`, labels: {}, sharedLabels, value: this.#count, exemplar: undefined },
    );
    return values;
  }
}

export interface TalliedHistogramOptions {
  name: string;
  help: string;
  labelNames: readonly string[];
  buckets: readonly number[];
  registers: Registry[];
}

/**
 * A Prometheus histogram whose observations go to series bound once per label set
 * (`series()`) and are read when the registry is scraped. prom-client's own `observe()`
 * joins and hashes every label value on each call (~2.5 µs with 11 labels, hot; more on
 * the proxy's cold per-request path, where it was a visible share of the agent's CPU).
 * The text is still prom-client's: its Registry formats what `getForPromString()` returns,
 * the shape its own histograms give.
 */
export class TalliedHistogram extends Histogram {
  readonly #name: string;
  readonly #help: string;
  readonly #labelNames: readonly string[];
  readonly #bounds: readonly number[];
  readonly #series: HistogramSeries[] = [];

  constructor(options: TalliedHistogramOptions) {
    super({ name: options.name, help: options.help, labelNames: options.labelNames, buckets: [...options.buckets], registers: options.registers });
    this.#name = options.name;
    this.#help = options.help;
    this.#labelNames = options.labelNames;
    this.#bounds = [...options.buckets].sort((a, b) => a - b);
  }

  /** A new series for `labels` (all the label names, no other); the caller keeps it, as two would be two lines. */
  series(labels: Labels): HistogramSeries {
    const names = Object.keys(labels);
    if (names.length !== this.#labelNames.length || !this.#labelNames.every((name) => typeof labels[name] === 'string')) {
      throw new Error(`${this.#name}: labels must be exactly ${this.#labelNames.join(', ')}, not ${names.join(', ')}`);
    }
    const series = new HistogramSeries(labels, this.#bounds);
    this.#series.push(series);
    return series;
  }

  /**
   * What prom-client's Registry formats as text (it prefers this to get(), as for its own
   * histograms); its Histogram.get() (JSON) reads it too and merges the shared labels in.
   */
  getForPromString(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: ExposedValue[] }> {
    const values = this.#series.flatMap((series) => series.exposition(this.#name));
    return Promise.resolve({ name: this.#name, help: this.#help, type: 'histogram', aggregator: 'sum', values });
  }
}
