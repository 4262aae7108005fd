import { join } from 'node:path';
import { setting, str } from './define.ts';
import { integer, oneOf, seconds, text } from './parsers.ts';

export const LOADER_SETTINGS = {
  // ── Warehouse loader ───────────────────────────────────────────────────────
  warehouse: setting({
    env: 'EVENTKIT_WAREHOUSE',
    description:
      'Warehouse the loader fills: bigquery (loads files from GCS) or duckdb (a local file reading the Parquet files directly).',
    group: 'Warehouse loader',
    roles: ['loader'],
    parser: oneOf(['bigquery', 'duckdb']),
    default: (ctx) => (str(ctx, 'eventStore') === 'gcs' ? 'bigquery' : 'duckdb'),
    defaultText: 'bigquery with the gcs event store, else duckdb',
  }),
  warehouseLoaderInterval: setting({
    env: 'EVENTKIT_WAREHOUSE_LOADER_INTERVAL',
    description:
      'Seconds between loader runs in loop mode. The local mode loads every 5 s so events show up within seconds.',
    group: 'Warehouse loader',
    roles: ['loader'],
    parser: seconds({ min: 0, minExclusive: true }),
    default: (ctx) => (ctx.role === 'dev' ? 5 : 300),
    defaultText: '300 (dev: 5)',
  }),
  warehouseLoaderLease: setting({
    env: 'EVENTKIT_WAREHOUSE_LOADER_LEASE',
    description:
      'Seconds the loader lease lasts without renewal: one loader per dataset and table merges at a time. Renewed every quarter of it while a run lasts; a loader killed while holding it blocks the others at most this long. The local mode uses 15 s, so a restart after a crash loads again soon.',
    group: 'Warehouse loader',
    roles: ['loader'],
    parser: seconds({ min: 4, max: 3600 }),
    default: (ctx) => (ctx.role === 'dev' ? 15 : 120),
    defaultText: '120 (dev: 15)',
  }),
  dedupWindowDays: setting({
    env: 'EVENTKIT_DEDUP_WINDOW_DAYS',
    description:
      'Days of received_at partitions the merge looks back over to drop events already loaded (same source and message_id).',
    group: 'Warehouse loader',
    roles: ['loader'],
    parser: integer(1, 3650),
    default: 7,
  }),
  warehouseLookbackHours: setting({
    env: 'EVENTKIT_WAREHOUSE_LOOKBACK_HOURS',
    description:
      'Hours of folders before the newest loaded one that every loader run lists again, to catch files whose upload finished late; older late files need backfill.',
    group: 'Warehouse loader',
    roles: ['loader'],
    parser: integer(0, 24 * 31),
    default: 2,
  }),
  localRetentionDays: setting({
    env: 'EVENTKIT_LOCAL_RETENTION_DAYS',
    description:
      'Local event store only (EVENTKIT_DATA_DIR): days after its folder ends that a loaded file is kept before the loader deletes it; never less than EVENTKIT_DEDUP_WINDOW_DAYS plus the look-back; 0 keeps files forever. On GCS a lifecycle rule does this.',
    group: 'Warehouse loader',
    roles: ['loader'],
    parser: integer(0, 3650),
    default: 8,
  }),
  duckdbPath: setting({
    env: 'EVENTKIT_DUCKDB_PATH',
    description: 'DuckDB database file of the local warehouse.',
    group: 'Warehouse loader',
    roles: ['loader'],
    parser: text({ metavar: '<file>', expected: 'a file path' }),
    default: (ctx) => join(str(ctx, 'dataDir') ?? '.', 'warehouse.duckdb'),
    defaultText: '{EVENTKIT_DATA_DIR}/warehouse.duckdb',
  }),
} as const;
