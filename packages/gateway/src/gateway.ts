// The gateway assembled from its parts: WAL, publisher, HTTP app. Used by the
// gateway's own main.ts and by the local all-in-one mode, which passes an
// in-process queue instead of Pub/Sub.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import {
  DEAD_LETTER_STREAM,
  type DeadLetter,
  type GatewayConfig,
  type Logger,
  type QueuePublisher,
  type Registry,
  renderMetrics,
} from '@eventkit/shared';
import { type AcceptSink, createApp, type GatewayState, type Refusal } from './http/app.ts';
import { WriteKeys } from './http/write-keys.ts';
import type { IngestResult } from './ingest/ingest.ts';
import { createGatewayMetrics } from './metrics.ts';
import { Publisher } from './publisher/publisher.ts';
import type { WalRowInput } from './wal/store.ts';
import { WriteAheadLog } from './wal/wal.ts';

export type GatewaySettings = Pick<
  GatewayConfig,
  | 'ringBufferDbPath'
  | 'walSync'
  | 'walMaxPendingEvents'
  | 'walMaxPendingBytes'
  | 'ringBufferMaxSize'
  | 'ringBufferRetentionHours'
  | 'ringBufferPublisherBatchSize'
  | 'ringBufferPublisherPollInterval'
  | 'ringBufferCleanupInterval'
  | 'maxEventBytes'
  | 'maxRequestBytes'
  | 'maxBatchEvents'
  | 'corsOrigins'
  | 'writeKeys'
>;

export interface GatewayDeps {
  settings: GatewaySettings;
  queue: QueuePublisher;
  logger: Logger;
  registry: Registry;
  /**
   * Envelopes published at once. With Pub/Sub a few suffice (publish returns
   * in milliseconds); with the in-process queue a publish resolves only once
   * the worker wrote the events, so the local mode keeps many in flight.
   */
  publishersInFlight?: number;
}

/** Seconds a client is asked to wait when the WAL backlog is over its high-water mark. */
const BACKLOG_RETRY_AFTER = 10;

/**
 * After a WAL write fails (a full disk, an I/O error: the thread lives on and
 * a later write may succeed), /ready answers 503 this long, so a load
 * balancer sends traffic to the gateways that can take it; then it is ready
 * again and the next write tries the disk anew. /health stays 200: a restart
 * does not free a disk.
 */
export const WRITE_FAILURE_NOT_READY_MS = 5_000;

export async function createGateway(deps: GatewayDeps) {
  const { settings, logger, registry } = deps;
  mkdirSync(path.dirname(path.resolve(settings.ringBufferDbPath)), { recursive: true });

  let oldestPendingAt: number | null = null;
  const metricsRef: { m?: ReturnType<typeof createGatewayMetrics> } = {};
  const wal = await WriteAheadLog.open(settings.ringBufferDbPath, {
    sync: settings.walSync,
    onCommit: ({ rows, durationMs }) => {
      metricsRef.m?.groupCommitRows.observe(rows);
      metricsRef.m?.groupCommitDuration.observe(durationMs / 1000);
    },
  });
  const metrics = createGatewayMetrics(registry, {
    pendingCount: () => wal.pendingCount,
    pendingBytes: () => wal.pendingBytes,
    oldestPendingAgeSeconds: () => (oldestPendingAt === null ? 0 : (Date.now() - oldestPendingAt) / 1000),
  });
  metricsRef.m = metrics;

  const publisher = new Publisher({
    wal,
    queue: deps.queue,
    logger: logger.child({ component: 'publisher' }),
    metrics,
    batchSize: settings.ringBufferPublisherBatchSize,
    pollIntervalMs: settings.ringBufferPublisherPollInterval * 1000,
    ...(deps.publishersInFlight ? { maxInFlight: deps.publishersInFlight } : {}),
  });

  let shuttingDown = false;
  let lastWriteFailure: { at: number; message: string } | undefined;
  const writeFailing = (): string | undefined =>
    lastWriteFailure && Date.now() - lastWriteFailure.at < WRITE_FAILURE_NOT_READY_MS
      ? `the last WAL write failed ${Date.now() - lastWriteFailure.at} ms ago: ${lastWriteFailure.message}`
      : undefined;
  const backlog = (): string | undefined => {
    if (wal.pendingCount >= settings.walMaxPendingEvents) {
      return `the WAL holds ${wal.pendingCount} unpublished events, at its high-water mark (EVENTKIT_WAL_MAX_PENDING_EVENTS=${settings.walMaxPendingEvents})`;
    }
    if (wal.pendingBytes >= settings.walMaxPendingBytes) {
      return `the WAL holds ${wal.pendingBytes} unpublished bytes, at its high-water mark (EVENTKIT_WAL_MAX_PENDING_BYTES=${settings.walMaxPendingBytes})`;
    }
    return undefined;
  };
  const state: GatewayState = {
    refusal(): Refusal | undefined {
      if (shuttingDown)
        return { status: 503, code: 'unavailable', message: 'the gateway is shutting down', retryAfter: 2 };
      if (!wal.healthy)
        return { status: 503, code: 'unavailable', message: 'the WAL is not writable', retryAfter: 5 };
      const why = backlog();
      return why
        ? { status: 429, code: 'rate_limited', message: why, retryAfter: BACKLOG_RETRY_AFTER }
        : undefined;
    },
    notReady() {
      if (shuttingDown) return 'the gateway is shutting down';
      if (!wal.healthy) return 'the WAL is not writable';
      return writeFailing() ?? backlog();
    },
    unhealthy() {
      const failure = wal.failure;
      return failure
        ? `the WAL failed and nothing can be accepted or published: ${failure.message}`
        : undefined;
    },
  };

  const sink: AcceptSink = {
    async accept(result: IngestResult, receivedAt: Date) {
      const rows = toWalRows(result, receivedAt.getTime());
      if (rows.length === 0) return;
      try {
        await wal.append(rows);
      } catch (err) {
        lastWriteFailure = { at: Date.now(), message: (err as Error).message };
        throw err;
      }
      lastWriteFailure = undefined;
      publisher.notify();
    },
  };

  const app = createApp({
    limits: {
      maxEventBytes: settings.maxEventBytes,
      maxRequestBytes: settings.maxRequestBytes,
      maxBatchEvents: settings.maxBatchEvents,
    },
    corsOrigins: settings.corsOrigins,
    writeKeys: new WriteKeys(settings.writeKeys),
    sink,
    state,
    logger,
    metrics,
    renderMetrics: () => renderMetrics(registry),
  });

  // Periodic: cleanup of published rows, and the oldest-pending gauge.
  const cleanupTimer = setInterval(() => {
    wal
      .cleanup({
        retentionMs: settings.ringBufferRetentionHours * 3_600_000,
        maxPublished: settings.ringBufferMaxSize,
      })
      .then(
        (r) =>
          r.deleted > 0 &&
          logger.info({ deleted: r.deleted, reclaimed_pages: r.reclaimedPages }, 'wal_cleanup'),
      )
      .catch((err) => logger.error({ err }, 'wal_cleanup_failed'));
  }, settings.ringBufferCleanupInterval * 1000);
  cleanupTimer.unref();
  const statsTimer = setInterval(() => {
    wal
      .stats()
      .then((s) => {
        oldestPendingAt = s.oldestPendingAt;
      })
      .catch(() => {});
  }, 5000);
  statsTimer.unref();

  return {
    app,
    wal,
    publisher,
    metrics,
    start() {
      publisher.start();
    },
    /** Refuse new events from now on (503), e.g. on SIGTERM. */
    beginShutdown() {
      shuttingDown = true;
    },
    /**
     * Finishes the group commit, publishes what is pending until `deadline`
     * (epoch ms), then closes the WAL. What is left stays in the WAL for the
     * next start. Returns the events left pending, counted in the file after
     * its last commit (a request admitted before shutdown can still append
     * while the publisher drains); the gauge when the WAL had failed.
     */
    async shutdown(deadline: number): Promise<{ remaining: number }> {
      shuttingDown = true;
      clearInterval(cleanupTimer);
      clearInterval(statsTimer);
      await wal.flushed();
      const drained = await publisher.drain(deadline);
      const { pending } = await wal.close();
      return { remaining: pending ?? Math.max(drained.remaining, wal.pendingCount) };
    },
  };
}

export type Gateway = Awaited<ReturnType<typeof createGateway>>;

function toWalRows(result: IngestResult, receivedAt: number): WalRowInput[] {
  const rows: WalRowInput[] = result.accepted.map((r) => ({
    stream: r.stream,
    source: r.source,
    requestId: r.requestId,
    type: r.event.type,
    payload: JSON.stringify(r.event),
    receivedAt,
  }));
  for (const letter of result.deadLetters) {
    rows.push({
      stream: DEAD_LETTER_STREAM,
      source: letter.source ?? '',
      requestId: letter.requestId ?? '',
      type: 'dead_letter',
      payload: letterJson(letter),
      receivedAt,
    });
  }
  return rows;
}

/**
 * A dead letter as JSON. Its payload is what the client sent, which ingest
 * already cut when it could not be serialised; should one still fail, the
 * letter is kept without it (and says so) rather than failing the request
 * with a 5xx for bad input.
 */
function letterJson(letter: DeadLetter): string {
  try {
    return JSON.stringify(letter);
  } catch {
    const { payload: _dropped, ...rest } = letter;
    return JSON.stringify({
      ...rest,
      reasons: [
        ...letter.reasons,
        {
          code: 'payload_not_kept',
          message: 'the event could not be written as JSON, so the letter holds no copy',
        },
      ],
    });
  }
}
