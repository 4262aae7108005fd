// Builds the HTTP app for tests with an in-memory sink in place of the WAL.
import { createMetricsRegistry, silentLogger } from '@eventkit/shared';
import type { IngestResult } from '../ingest/ingest.ts';
import { createGatewayMetrics } from '../metrics.ts';
import { type AcceptSink, type AppDeps, createApp, type Refusal } from './app.ts';
import { WriteKeys } from './write-keys.ts';

export class CapturingSink implements AcceptSink {
  readonly results: IngestResult[] = [];
  failWith: Error | undefined;
  async accept(result: IngestResult): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.results.push(result);
  }
  get accepted() {
    return this.results.flatMap((r) => r.accepted);
  }
  get deadLetters() {
    return this.results.flatMap((r) => r.deadLetters);
  }
}

export function testApp(overrides: Partial<AppDeps> & { writeKeyMap?: Record<string, string> } = {}) {
  const sink = new CapturingSink();
  const registry = createMetricsRegistry(undefined, { processMetrics: false });
  const state = {
    refusal: undefined as Refusal | undefined,
    notReady: undefined as string | undefined,
    unhealthy: undefined as string | undefined,
  };
  const deps: AppDeps = {
    limits: { maxEventBytes: 32 * 1024, maxRequestBytes: 500 * 1024, maxBatchEvents: 2500 },
    corsOrigins: ['*'],
    writeKeys: new WriteKeys(overrides.writeKeyMap),
    sink,
    state: {
      refusal: () => state.refusal,
      notReady: () => state.notReady,
      unhealthy: () => state.unhealthy,
    },
    logger: silentLogger(),
    metrics: createGatewayMetrics(registry),
    renderMetrics: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
    ...overrides,
  };
  return { app: createApp(deps), sink, state };
}
