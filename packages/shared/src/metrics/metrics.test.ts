import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import {
  createMetricsRegistry,
  defineCounter,
  defineGauge,
  defineHistogram,
  renderMetrics,
  SIZE_BUCKETS,
} from './metrics.ts';

describe('metrics registry', () => {
  test('renders Prometheus text with process metrics and default labels', async () => {
    const registry = createMetricsRegistry({ role: 'gateway' });
    const accepted = defineCounter(registry, {
      name: 'eventkit_events_accepted_total',
      help: 'Events written to the WAL.',
      labelNames: ['stream'],
    });
    accepted.inc({ stream: 'users' }, 3);
    const { contentType, body } = await renderMetrics(registry);
    assert.match(contentType, /^text\/plain; version=0\.0\.4/);
    assert.match(body, /^# TYPE eventkit_events_accepted_total counter$/m);
    assert.match(body, /^eventkit_events_accepted_total\{stream="users",role="gateway"\} 3$/m);
    assert.match(body, /^process_cpu_user_seconds_total\{role="gateway"\} /m);
    assert.match(body, /^nodejs_eventloop_lag_seconds/m);
  });

  test('several registries live in one process without colliding (local mode)', async () => {
    const gateway = createMetricsRegistry({ role: 'gateway' });
    const worker = createMetricsRegistry({ role: 'worker' });
    defineCounter(gateway, { name: 'eventkit_messages_total', help: 'x' }).inc(2);
    defineCounter(worker, { name: 'eventkit_messages_total', help: 'x' }).inc(5);
    assert.match((await renderMetrics(gateway)).body, /^eventkit_messages_total\{role="gateway"\} 2$/m);
    assert.match((await renderMetrics(worker)).body, /^eventkit_messages_total\{role="worker"\} 5$/m);
  });

  test('process metrics can be left out', async () => {
    const registry = createMetricsRegistry({}, { processMetrics: false });
    defineCounter(registry, { name: 'eventkit_only_total', help: 'x' });
    const { body } = await renderMetrics(registry);
    assert.doesNotMatch(body, /process_cpu/);
    assert.match(body, /eventkit_only_total 0/);
  });

  test('gauges can be computed at scrape time', async () => {
    const registry = createMetricsRegistry({}, { processMetrics: false });
    let pending = 7;
    defineGauge(registry, { name: 'eventkit_wal_pending_events', help: 'x', collect: (g) => g.set(pending) });
    assert.match((await renderMetrics(registry)).body, /^eventkit_wal_pending_events 7$/m);
    pending = 2;
    assert.match((await renderMetrics(registry)).body, /^eventkit_wal_pending_events 2$/m);
  });

  test('histograms default to latency buckets in seconds, or take their own', async () => {
    const registry = createMetricsRegistry({}, { processMetrics: false });
    defineHistogram(registry, {
      name: 'eventkit_publish_seconds',
      help: 'x',
      labelNames: ['stream'],
    }).observe({ stream: 'events' }, 0.02);
    defineHistogram(registry, { name: 'eventkit_flush_events', help: 'x', buckets: SIZE_BUCKETS }).observe(
      300,
    );
    const { body } = await renderMetrics(registry);
    assert.match(body, /^eventkit_publish_seconds_bucket\{le="0.025",stream="events"\} 1$/m);
    assert.match(body, /^eventkit_publish_seconds_bucket\{le="0.01",stream="events"\} 0$/m);
    assert.match(body, /^eventkit_flush_events_bucket\{le="500"\} 1$/m);
  });
});
