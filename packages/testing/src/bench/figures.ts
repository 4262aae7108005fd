// What a benchmark reports, in one shape for `make bench` (scripts/run-bench.ts):
// each figure is the median of several runs with their min and max, and,
// where the benchmark measured a ceiling in the same run (bare Hono, an
// ack-only subscriber, encoding alone), the ratio to it. A benchmark writes
// its figures to the file named by EVENTKIT_BENCH_OUT when that is set.
import { writeFileSync } from 'node:fs';

export interface Figure {
  /** Stable key, e.g. `gateway.single.c50`. */
  id: string;
  label: string;
  unit: string;
  median: number;
  min: number;
  max: number;
  runs: number;
  /** The ceiling measured in the same run, when there is one. */
  ceiling?: { label: string; median: number };
  /** median / ceiling.median. */
  ratio?: number;
  /** Anything else a chart or the summary needs (concurrency, sink…). */
  tags?: Record<string, string | number>;
}

export interface BenchReport {
  bench: string;
  figures: Figure[];
  /** Free-form context: durations, sizes, counts the figures depend on. */
  context?: Record<string, unknown>;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** One figure from the values of its runs (and its ceiling's, measured in the same run). */
export function figure(
  id: string,
  label: string,
  unit: string,
  values: readonly number[],
  options: { ceiling?: { label: string; values: readonly number[] }; tags?: Figure['tags'] } = {},
): Figure {
  const f: Figure = {
    id,
    label,
    unit,
    median: round(median(values)),
    min: round(Math.min(...values)),
    max: round(Math.max(...values)),
    runs: values.length,
  };
  if (options.ceiling) {
    const c = median(options.ceiling.values);
    f.ceiling = { label: options.ceiling.label, median: round(c) };
    f.ratio = Math.round((median(values) / c) * 100) / 100;
  }
  if (options.tags) f.tags = options.tags;
  return f;
}

const round = (n: number) => (Math.abs(n) >= 100 ? Math.round(n) : Math.round(n * 100) / 100);

/** Writes the report where `make bench` asked (EVENTKIT_BENCH_OUT); a no-op when run by hand. */
export function writeBenchReport(report: BenchReport): void {
  const out = process.env.EVENTKIT_BENCH_OUT;
  if (out) writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
}
