// `eventkit-gateway wal status | inspect | drain`: operator commands on a WAL
// file, usable while the gateway is stopped (or, for status and inspect,
// running: SQLite allows readers). Status and inspect read only the file;
// drain opens the WAL, a WAL relay and Pub/Sub, so it lives here, not in wal/.
import fs from 'node:fs';
import { addSettingOptions, CliError, loggerFor } from '@eventkit/shared/cli';
import { type Flags, type GatewayConfig, loadGatewayConfig, type SettingPart } from '@eventkit/shared/config';
import { openPubSub } from '@eventkit/shared/pubsub';
import type { Command } from 'commander';
import { WalRelay } from '../relay/wal-relay.ts';
import { gatewaySettingsFromConfig } from '../settings.ts';
import { WalStore } from '../wal/store.ts';
import { WriteAheadLog } from '../wal/wal.ts';

/** status and inspect: where the file is. */
const READ_PARTS: readonly SettingPart[] = ['walFile'];
/** drain: the file written, the relay, Pub/Sub, a logger and a deadline. */
const DRAIN_PARTS: readonly SettingPart[] = ['logging', 'shutdown', 'walFile', 'wal', 'relay', 'pubsub'];

export function configureWalCommand(program: Command): Command {
  const wal = program.command('wal').description('Inspect or drain a write-ahead log file.');
  const load = (flags: Flags, parts: readonly SettingPart[]) =>
    loadGatewayConfig(process.env, flags, parts).config;
  const walPath = (flags: Flags) => gatewaySettingsFromConfig(load(flags, READ_PARTS)).walPath;

  addSettingOptions(
    wal
      .command('status')
      .description('Pending and published counts, bytes and the oldest pending age.')
      .option('--json', 'one JSON object'),
    'gateway',
    READ_PARTS,
  ).action((flags: Flags & { json?: boolean }) => {
    process.stdout.write(walStatus(walPath(flags), Boolean(flags.json)));
  });
  addSettingOptions(
    wal
      .command('inspect')
      .description('A few pending rows (ids, streams, sizes, times; never payloads).')
      .option('--limit <n>', 'rows to show', '10')
      .option('--json', 'a JSON array'),
    'gateway',
    READ_PARTS,
  ).action((flags: Flags & { json?: boolean; limit?: string }) => {
    const limit = Number.parseInt(String(flags.limit), 10);
    const rows = Number.isFinite(limit) && limit > 0 ? limit : 10;
    process.stdout.write(walInspect(walPath(flags), rows, Boolean(flags.json)));
  });
  addSettingOptions(
    wal
      .command('drain')
      .description('Publish everything pending in the WAL to Pub/Sub, then exit (for an orphaned volume).')
      .option('--json', 'one JSON object: { path, published_events, pending_events }'),
    'gateway',
    DRAIN_PARTS,
  ).action(async (flags: Flags & { json?: boolean }) => {
    process.stdout.write(await walDrain(load(flags, DRAIN_PARTS), Boolean(flags.json)));
  });
  return wal;
}

function openExisting(path: string, readOnly: boolean): WalStore {
  if (!fs.existsSync(path)) throw new CliError(`no WAL at ${path} (EVENTKIT_RING_BUFFER_DB_PATH)`, 1);
  return new WalStore(path, { readOnly });
}

export function walStatus(path: string, json: boolean): string {
  const store = openExisting(path, true);
  try {
    const s = store.stats();
    const oldestAgeSeconds =
      s.oldestPendingAt === null ? null : Math.round((Date.now() - s.oldestPendingAt) / 1000);
    const status = {
      path,
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

export function walInspect(path: string, limit: number, json: boolean): string {
  const store = openExisting(path, true);
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
export async function walDrain(config: GatewayConfig, json = false): Promise<string> {
  const settings = gatewaySettingsFromConfig(config);
  openExisting(settings.walPath, true).close();
  // With --json, stdout carries the result alone: the relay's logs go to stderr.
  const logger = loggerFor(config, 'eventkit-gateway', json ? 2 : undefined);
  const pubsub = openPubSub(config, logger);
  const queue = await pubsub.publisher({ clientRetries: false });
  const wal = await WriteAheadLog.open(settings.walPath, { sync: settings.walSync });
  const before = wal.pendingCount;
  // drain() wakes the relay every 20 ms: its idle poll interval does not slow a drain.
  const relay = new WalRelay({
    wal,
    queue,
    logger,
    batchSize: settings.relayBatchSize,
    pollIntervalMs: settings.relayPollIntervalMs,
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
  if (json) {
    return `${JSON.stringify({ path: settings.walPath, published_events: before, pending_events: 0 })}\n`;
  }
  return `published ${before} events; nothing pending\n`;
}
