export {
  type Counter,
  createMetricsRegistry,
  defineCounter,
  defineGauge,
  defineHistogram,
  type Gauge,
  type Histogram,
  LATENCY_BUCKETS_SECONDS,
  type MetricsRegistryOptions,
  type Registry,
  renderMetrics,
  SIZE_BUCKETS,
} from './metrics.ts';
