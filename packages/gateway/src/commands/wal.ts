// `eventkit-gateway wal …`: operator commands on a WAL file, usable while the
// gateway is stopped (or, for status/inspect, running: SQLite allows readers).
import fs from 'node:fs';
import { CliError, type GatewayConfig, loggerFor } from '@eventkit/shared';
import { openPubSub } from '@eventkit/shared/pubsub';
import { WalRelay } from '../relay/wal-relay.ts';
import { WalStore } from '../wal/store.ts';
import { WriteAheadLog } from '../wal/wal.ts';

function openExisting(path: string, readOnly: boolean): WalStore {
  if (!fs.existsSync(path)) throw new CliError(`no WAL at ${path} (EVENTKIT_RING_BUFFER_DB_PATH)`, 1);
  return new WalStore(path, { readOnly });
}

export function walStatus(config: GatewayConfig, json: boolean): string {
  const store = openExisting(config.ringBufferDbPath, true);
  try {
    const s = store.stats();
    const oldestAgeSeconds =
      s.oldestPendingAt === null ? null : Math.round((Date.now() - s.oldestPendingAt) / 1000);
    const status = {
      path: config.ringBufferDbPath,
      pending_events: s.pendingCount,
      pending_bytes: s.pendingBytes,
      published_events: s.publishedCount,
      oldest_pending_age_seconds: oldestAgeSeconds,
      file_bytes: s.fileBytes,
    };
    if (json) return `${JSON.stringify(status)}\n`;
    return `${Object.entries(status)
      .map(([k, v]) => `${k.padEnd(28)} ${v ?? '-'}`)
      .join('\n')}\n`;
  } finally {
    store.close();
  }
}

export function walInspect(config: GatewayConfig, limit: number, json: boolean): string {
  const store = openExisting(config.ringBufferDbPath, true);
  try {
    // Never payloads: ids, streams, sizes and times only.
    const rows = store
      .inspectPending(limit)
      .map((r) => ({ ...r, receivedAt: new Date(r.receivedAt).toISOString() }));
    if (json) return `${JSON.stringify(rows)}\n`;
    if (rows.length === 0) return 'no pending events\n';
    return `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`;
  } finally {
    store.close();
  }
}

/** Publishes everything pending in a WAL file and exits: for a volume whose gateway pod is gone. */
export async function walDrain(config: GatewayConfig): Promise<string> {
  openExisting(config.ringBufferDbPath, true).close();
  const logger = loggerFor(config, 'eventkit-gateway');
  const pubsub = openPubSub(config);
  const queue = await pubsub.publisher();
  const wal = await WriteAheadLog.open(config.ringBufferDbPath, { sync: config.walSync });
  const before = wal.pendingCount;
  const relay = new WalRelay({
    wal,
    queue,
    logger,
    batchSize: config.ringBufferPublisherBatchSize,
    pollIntervalMs: 50,
  });
  relay.start();
  const { remaining } = await relay.drain(Date.now() + Math.max(config.shutdownTimeout, 60) * 1000);
  await wal.close();
  await queue.close();
  await pubsub.close();
  if (remaining > 0)
    throw new CliError(
      `published ${before - remaining} events; ${remaining} still pending (the queue kept failing)`,
      1,
    );
  return `published ${before} events; nothing pending\n`;
}
