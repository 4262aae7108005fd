// The gateway assembled from its parts: WAL, WAL relay, HTTP app. Used by the
// gateway's compose.ts and by the local all-in-one mode, which passes an
// in-process queue instead of Pub/Sub.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '@eventkit/shared/logging';
import { type Registry, renderMetrics } from '@eventkit/shared/metrics';
import type { QueuePublisher } from '@eventkit/shared/ports';
import { Admission } from './admission.ts';
import { createAdminApp } from './http/admin-app.ts';
import { type AppendToWal, createApp } from './http/app.ts';
import { LiveFeed } from './http/live/feed.ts';
import { WriteKeys } from './http/write-keys.ts';
import type { IngestResult } from './ingest/ingest.ts';
import { createGatewayMetrics } from './metrics.ts';
import { WalRelay } from './relay/wal-relay.ts';
import type { GatewaySettings } from './settings.ts';
import { startWalMaintenance } from './wal/maintenance.ts';
import { toWalRows } from './wal/rows.ts';
import { WriteAheadLog } from './wal/wal.ts';

export type { GatewaySettings } from './settings.ts';

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
  relayInFlight?: number;
}

export { WRITE_FAILURE_NOT_READY_MS } from './admission.ts';

export async function createGateway(deps: GatewayDeps) {
  const { settings, logger, registry } = deps;
  const { wal, metrics, setOldestPending } = await openWal(settings, registry);
  const relay = new WalRelay({
    wal,
    queue: deps.queue,
    // The relay's log lines keep the component name operators filter on.
    logger: logger.child({ component: 'publisher' }),
    metrics,
    batchSize: settings.relayBatchSize,
    pollIntervalMs: settings.relayPollIntervalMs,
    ...(deps.relayInFlight ? { maxInFlight: deps.relayInFlight } : {}),
  });

  const admission = new Admission(wal, settings);

  const appDeps = {
    limits: {
      maxEventBytes: settings.maxEventBytes,
      maxRequestBytes: settings.maxRequestBytes,
      maxBatchEvents: settings.maxBatchEvents,
    },
    corsOrigins: settings.corsOrigins,
    enrichment: settings.enrichment,
    writeKeys: new WriteKeys(settings.writeKeys),
    appendToWal: walAppender(wal, admission, relay),
    state: admission,
    logger,
    metrics,
    renderMetrics: () => renderMetrics(registry),
    adminPort: settings.adminPort,
    traceProject: settings.traceProject,
    live: liveEvents(settings, logger),
  };
  const app = createApp(appDeps);
  const live = appDeps.live?.feed;
  // EVENTKIT_ADMIN_PORT: /metrics and the probes on a listener of their own (compose.ts opens it).
  const adminApp = settings.adminPort ? createAdminApp(appDeps) : undefined;

  const stopMaintenance = startWalMaintenance(wal, logger, {
    retentionMs: settings.walRetentionMs,
    maxPublished: settings.walMaxPublished,
    cleanupIntervalMs: settings.walCleanupIntervalMs,
    onOldestPending: setOldestPending,
  });

  return {
    app,
    adminApp,
    wal,
    relay,
    metrics,
    start() {
      relay.start();
    },
    /** While a reason is set, /ready answers 503 with it (the production start-up checks). */
    holdReady(reason: string | undefined) {
      admission.holdReady(reason);
    },
    /** Refuse new events from now on (503), e.g. on SIGTERM. */
    beginShutdown() {
      admission.beginShutdown();
    },
    /**
     * Finishes the group commit, relays what is pending until `deadline`
     * (epoch ms), then closes the WAL. What is left stays in the WAL for the
     * next start. Returns the events left pending, counted in the file after
     * its last commit (a request admitted before shutdown can still append
     * while the relay drains); the gauge when the WAL had failed.
     */
    async shutdown(deadline: number): Promise<{ remaining: number }> {
      admission.beginShutdown();
      // Open live-page streams would hold the listener's close() until the drain timed out.
      live?.close();
      stopMaintenance();
      await wal.flushed();
      const drained = await relay.drain(deadline);
      const { pending } = await wal.close();
      return { remaining: pending ?? Math.max(drained.remaining, wal.pendingCount) };
    },
  };
}

export type Gateway = Awaited<ReturnType<typeof createGateway>>;

/** The WAL file (its directory made), with the gateway's metrics reading it. */
async function openWal(settings: GatewaySettings, registry: Registry) {
  mkdirSync(path.dirname(path.resolve(settings.walPath)), { recursive: true });
  let oldestPendingAt: number | null = null;
  const metricsRef: { m?: ReturnType<typeof createGatewayMetrics> } = {};
  const wal = await WriteAheadLog.open(settings.walPath, {
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
  const setOldestPending = (at: number | null) => {
    oldestPendingAt = at;
  };
  return { wal, metrics, setOldestPending };
}

/**
 * The live events page's feed and its listener: the admin one when there is
 * one; else the public one only where that is allowed (eventkit-dev, on
 * loopback). Never the gateway's public port, which faces the internet.
 */
function liveEvents(settings: GatewaySettings, logger: Logger) {
  const live = settings.liveEvents;
  if (!live) return undefined;
  const listener = settings.adminPort ? 'admin' : live.publicPort ? 'public' : undefined;
  if (!listener) {
    logger.warn(
      {
        reason:
          'EVENTKIT_LIVE_EVENTS is on but EVENTKIT_ADMIN_PORT is not set; the gateway never serves it publicly',
      },
      'live_events_not_served',
    );
    return undefined;
  }
  return { feed: new LiveFeed({ payloads: live.payloads, logger }), listener } as const;
}

/** The ingest route's WAL append (the 2xx waits for it); admission hears how the write went, the relay wakes. */
function walAppender(wal: WriteAheadLog, admission: Admission, relay: WalRelay): AppendToWal {
  return async (result: IngestResult, receivedAt: Date) => {
    const rows = toWalRows(result, receivedAt.getTime());
    if (rows.length === 0) return;
    try {
      await wal.append(rows);
    } catch (err) {
      admission.writeFailed(err);
      throw err;
    }
    admission.writeSucceeded();
    relay.notify();
  };
}
