// Prometheus metrics on prom-client, always on an explicit registry: the
// local mode runs gateway, worker and loader in one process, and each must be
// able to own its metrics (or share one registry on purpose) without the
// global registry's "already registered" collisions.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export type { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface MetricsRegistryOptions {
  /** Node.js process metrics (CPU, memory, event loop lag, GC, handles). Default true. */
  processMetrics?: boolean;
}

/**
 * A fresh registry with the default process metrics and `defaultLabels`
 * (e.g. `{ role: 'gateway' }`) on every series.
 */
export function createMetricsRegistry(
  defaultLabels: Readonly<Record<string, string>> = {},
  opts: MetricsRegistryOptions = {},
): Registry {
  const registry = new Registry();
  if (Object.keys(defaultLabels).length > 0) registry.setDefaultLabels({ ...defaultLabels });
  if (opts.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}

interface MetricSpec<L extends string> {
  /** Prometheus name, `eventkit_` prefixed by convention, e.g. `eventkit_events_accepted_total`. */
  name: string;
  help: string;
  labelNames?: readonly L[];
}

/** A counter on `registry` (names end in `_total`). */
export function defineCounter<L extends string = never>(registry: Registry, spec: MetricSpec<L>): Counter<L> {
  return new Counter<L>({
    name: spec.name,
    help: spec.help,
    labelNames: spec.labelNames ?? [],
    registers: [registry],
  });
}

/** A gauge on `registry`; `collect` runs at scrape time to set it from live state (e.g. WAL pending rows). */
export function defineGauge<L extends string = never>(
  registry: Registry,
  spec: MetricSpec<L> & { collect?: (gauge: Gauge<L>) => void | Promise<void> },
): Gauge<L> {
  const collect = spec.collect;
  return new Gauge<L>({
    name: spec.name,
    help: spec.help,
    labelNames: spec.labelNames ?? [],
    registers: [registry],
    ...(collect
      ? {
          collect(this: Gauge<L>) {
            return collect(this);
          },
        }
      : {}),
  });
}

/** Buckets in seconds for request and flush latencies: 1 ms to 30 s. */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

/** Buckets for sizes counted in items (events per flush, rows per group commit). */
export const SIZE_BUCKETS: readonly number[] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

/** A histogram on `registry`; default buckets are LATENCY_BUCKETS_SECONDS (name it `_seconds`). */
export function defineHistogram<L extends string = never>(
  registry: Registry,
  spec: MetricSpec<L> & { buckets?: readonly number[] },
): Histogram<L> {
  return new Histogram<L>({
    name: spec.name,
    help: spec.help,
    labelNames: spec.labelNames ?? [],
    buckets: [...(spec.buckets ?? LATENCY_BUCKETS_SECONDS)],
    registers: [registry],
  });
}

/** The body and Content-Type of a `GET /metrics` answer. */
export async function renderMetrics(registry: Registry): Promise<{ contentType: string; body: string }> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}
