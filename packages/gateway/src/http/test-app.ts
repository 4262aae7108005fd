// Builds the HTTP app for tests with an in-memory capture in place of the WAL.
import { silentLogger } from '@eventkit/shared/logging';
import { createMetricsRegistry } from '@eventkit/shared/metrics';
import type { IngestResult } from '../ingest/ingest.ts';
import { createGatewayMetrics } from '../metrics.ts';
import { type AppDeps, createApp, type Refusal } from './app.ts';
import { WriteKeys } from './write-keys.ts';

/** What the app appended to the "WAL"; `failWith` makes the next appends fail. */
export class CapturedWal {
  readonly results: IngestResult[] = [];
  failWith: Error | undefined;
  readonly append = async (result: IngestResult): Promise<void> => {
    if (this.failWith) throw this.failWith;
    this.results.push(result);
  };
  get accepted() {
    return this.results.flatMap((r) => r.accepted);
  }
  get deadLetters() {
    return this.results.flatMap((r) => r.deadLetters);
  }
}

export function testApp(overrides: Partial<AppDeps> & { writeKeyMap?: Record<string, string> } = {}) {
  const wal = new CapturedWal();
  const registry = createMetricsRegistry(undefined, { processMetrics: false });
  const state = {
    refusal: undefined as Refusal | undefined,
    notReady: undefined as string | undefined,
    unhealthy: undefined as string | undefined,
  };
  const deps: AppDeps = {
    limits: { maxEventBytes: 32 * 1024, maxRequestBytes: 500 * 1024, maxBatchEvents: 2500 },
    corsOrigins: ['*'],
    enrichment: { trustedProxyHops: 0, ipCapture: 'full' },
    writeKeys: new WriteKeys(overrides.writeKeyMap),
    appendToWal: wal.append,
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
  // `sink`: the name the tests read the capture by.
  return { app: createApp(deps), sink: wal, state };
}
