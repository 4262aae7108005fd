// The loader built from its configuration: the object store the worker's files
// are in, the warehouse, and the core (createLoader) with the data directory's
// retention. The commands (commands/*.ts) build theirs here; the local
// all-in-one mode calls loaderFromConfig to run a loader in its own process.
import { rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { LoaderConfig } from '@eventkit/shared/config';
import { FileObjectStore } from '@eventkit/shared/local';
import type { Logger } from '@eventkit/shared/logging';
import type { Registry } from '@eventkit/shared/metrics';
import { openObjectStore } from '@eventkit/shared/object-store';
import type { ObjectStore, Warehouse } from '@eventkit/shared/ports';
import { createLoader, type Loader, loaderSettings } from './core/loader.ts';
import { defaultGraceMs, type RetentionOptions } from './core/retention.ts';
import { BigQueryWarehouse } from './warehouse/bigquery/bigquery-warehouse.ts';
import { DuckDbWarehouse } from './warehouse/duckdb/duckdb-warehouse.ts';

/** The configured warehouse: BigQuery (its client loaded only then), or the DuckDB file. */
export async function createWarehouse(config: LoaderConfig, logger?: Logger): Promise<Warehouse> {
  // The config loader guarantees a dataset for bigquery and defaults it to `events` for duckdb.
  const dataset = config.gcpBigqueryDataset ?? 'events';
  if (config.warehouse === 'bigquery') {
    // Loaded only when used: the client adds about half a second to every start.
    const { BigQuery } = await import('@google-cloud/bigquery');
    const location = config.gcpBigqueryLocation;
    const client = new BigQuery({
      ...(config.gcpProjectId ? { projectId: config.gcpProjectId } : {}),
      ...(location ? { location } : {}),
    });
    return new BigQueryWarehouse({
      client,
      dataset,
      table: config.gcpBigqueryTable,
      ...(location ? { location } : {}),
      ...(logger ? { logger } : {}),
    });
  }
  return new DuckDbWarehouse({ path: config.duckdbPath, dataset, table: config.gcpBigqueryTable });
}

export interface LoaderFromConfigOptions {
  logger?: Logger;
  metrics?: Registry;
  store?: ObjectStore;
  warehouse?: Warehouse;
}

/** A loader as the configuration describes it (adapters can be passed in instead). */
export async function loaderFromConfig(
  config: LoaderConfig,
  options: LoaderFromConfigOptions = {},
): Promise<Loader> {
  // Where the worker's files are: the GCS bucket, or the same layout under the data directory.
  const store = options.store ?? (await openObjectStore(config));
  return createLoader({
    store,
    // The data directory is one machine's: a lease left by a dead local process is free at once.
    leaseSameMachine: store instanceof FileObjectStore,
    warehouse: options.warehouse ?? (await createWarehouse(config, options.logger)),
    ...loaderSettings(config),
    // The data directory is deleted from as files are safely loaded; a bucket has its lifecycle rule.
    ...(store instanceof FileObjectStore && config.localRetentionDays > 0
      ? { retention: localRetention(store, config) }
      : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.metrics ? { metrics: options.metrics } : {}),
  });
}

/** Retention on the data directory (core/retention.ts, EVENTKIT_LOCAL_RETENTION_DAYS), removing the folders it empties. */
export function localRetention(store: FileObjectStore, config: LoaderConfig): RetentionOptions {
  return {
    // Never shorter than the dedup window plus the look-back (core/retention.ts says why).
    graceMs: Math.max(
      config.localRetentionDays * 86_400_000,
      defaultGraceMs(config.dedupWindowDays, config.warehouseLookbackHours),
    ),
    async onDeleted(key) {
      // hour=HH/ then date=D/ (events), or error_type=t/ then date=D/ (dead letters), when empty.
      let dir = dirname(join(store.root, ...key.split('/')));
      for (let i = 0; i < 2; i++) {
        try {
          await rmdir(dir);
        } catch {
          return; // not empty (or gone): stop
        }
        dir = dirname(dir);
      }
    },
  };
}
