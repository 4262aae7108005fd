// The loader's composition: configuration in, adapters built, commands run.
// cli.ts parses the command line and calls these; the local all-in-one mode
// calls loaderFromConfig to run a loader in its own process.

import { rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  CliError,
  FileObjectStore,
  keyPrefix,
  type LoaderConfig,
  type Logger,
  type ObjectStore,
  openObjectStore,
  type Registry,
  type Warehouse,
  WarehouseConfigError,
} from '@eventkit/shared';

import { formatStatus, formatTable, jsonRows, statusView } from './commands/format.ts';
import { progressReporter } from './commands/progress.ts';
import { createLoader, type Loader, loaderSettings } from './core/loader.ts';
import { Quarantine } from './core/quarantine.ts';
import { BackfillRangeError, describeError, type RunReport } from './core/report.ts';
import { defaultGraceMs, type RetentionOptions } from './core/retention.ts';
import { BigQueryWarehouse } from './warehouse/bigquery/bigquery-warehouse.ts';
import { DuckDbLockedError, DuckDbMissingError } from './warehouse/duckdb/duckdb-file.ts';
import { DuckDbWarehouse } from './warehouse/duckdb/duckdb-warehouse.ts';
import { queryDuckDb } from './warehouse/duckdb/query.ts';

/** Where the worker's files are: the GCS bucket, or the same layout under the data directory. */
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

const targetName = (config: LoaderConfig) =>
  config.warehouse === 'duckdb'
    ? `${config.gcpBigqueryDataset ?? 'events'}.${config.gcpBigqueryTable} in ${config.duckdbPath}`
    : `${config.gcpProjectId}.${config.gcpBigqueryDataset}.${config.gcpBigqueryTable}`;

/** Exit codes of `run` when a signal cut a --once run short (shell convention: 128 + signal). */
const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * `run [--once]`. SIGTERM or SIGINT: the running job finishes, no other starts.
 * If that takes longer than EVENTKIT_SHUTDOWN_TIMEOUT the process exits anyway,
 * abandoning the job: a load commits its rows and its ledger rows together, so
 * an abandoned job leaves no trace and the next run does it again.
 */
export async function runCommand(config: LoaderConfig, logger: Logger, once: boolean): Promise<void> {
  const loader = await loaderFromConfig(config, { logger });
  let signal: string | undefined;
  const onSignal = (name: string) => {
    if (signal) return;
    signal = name;
    logger.info({ signal: name }, 'loader_stopping');
    void loader.stop();
    setTimeout(() => {
      logger.error({ timeout_seconds: config.shutdownTimeout }, 'loader_shutdown_timeout_abandoning_job');
      process.exit(SIGNAL_EXIT[name] ?? 1);
    }, config.shutdownTimeout * 1000).unref();
  };
  const handlers = (['SIGTERM', 'SIGINT'] as const).map((name) => {
    const handler = () => onSignal(name);
    process.on(name, handler);
    return () => process.off(name, handler);
  });
  try {
    if (!once) {
      await loader.loop().catch((err: unknown) => {
        if (err instanceof WarehouseConfigError) throw new CliError(err.message, 2);
        throw err;
      });
      return;
    }
    const report = await loader.runOnce();
    if (report.error instanceof WarehouseConfigError) throw new CliError(report.error.message, 2);
    if (!report.ok) throw new CliError(`load failed: ${describeError(report.error)}`, 1);
    if (report.stopped) {
      throw new CliError(
        `stopped by ${signal ?? 'a signal'} before everything pending was loaded`,
        SIGNAL_EXIT[signal ?? ''] ?? 1,
      );
    }
  } finally {
    for (const off of handlers) off();
  }
}

/** `release <key>`: deletes the file's quarantine record (core/quarantine.ts), so runs see it again. */
export async function releaseCommand(config: LoaderConfig, key: string): Promise<string> {
  const store = await openObjectStore(config);
  const released = await new Quarantine(store, keyPrefix(config.storagePrefix)).release(key);
  if (!released) throw new CliError(`${key} is not quarantined (see eventkit-loader status)`, 1);
  return `released ${key}: the next run loads it if its folder is within the look-back; otherwise backfill its day`;
}

export async function statusCommand(config: LoaderConfig, logger: Logger, json: boolean): Promise<string> {
  const loader = await loaderFromConfig(config, { logger });
  const now = new Date();
  const view = statusView(await withFriendlyErrors(() => loader.status()), targetName(config), now);
  return json ? JSON.stringify(view, null, 2) : formatStatus(view, now);
}

export async function backfillCommand(
  config: LoaderConfig,
  logger: Logger,
  range: { from: string; to: string },
  progressStream: NodeJS.WriteStream,
): Promise<string> {
  const loader = await loaderFromConfig(config, { logger });
  const reporter = progressReporter(progressStream);
  let report: RunReport;
  try {
    report = await loader.backfill(range, (p) => reporter.update(p));
  } catch (err) {
    if (err instanceof BackfillRangeError) throw new CliError(err.message, 2);
    throw err;
  } finally {
    reporter.done();
  }
  if (!report.ok) throw new CliError(`backfill failed: ${describeError(report.error)}`, 1);
  return `backfill ${range.from}..${range.to}: ${report.files} files in ${report.jobs} jobs, ${report.rowsRead} rows read, ${report.rowsInserted} rows inserted (the rest were already there)`;
}

/** `query [--json] SQL` against the local DuckDB warehouse. */
export async function queryCommand(config: LoaderConfig, sql: string, json: boolean): Promise<string> {
  if (config.warehouse !== 'duckdb') {
    throw new CliError(
      'query reads the local DuckDB warehouse, but EVENTKIT_WAREHOUSE is bigquery: query BigQuery with the console or bq',
      2,
    );
  }
  const result = await withFriendlyErrors(() => queryDuckDb(config.duckdbPath, sql));
  return json ? JSON.stringify(jsonRows(result), null, 2) : formatTable(result);
}

async function withFriendlyErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof DuckDbMissingError) {
      throw new CliError(`${err.message}: nothing was loaded yet (run \`eventkit-loader run --once\`)`, 1);
    }
    if (err instanceof DuckDbLockedError) throw new CliError(err.message, 1);
    if (
      err instanceof Error &&
      /^(Parser|Binder|Catalog|Conversion|Invalid Input|Constraint|IO) Error/.test(err.message)
    ) {
      throw new CliError(err.message, 1);
    }
    throw err;
  }
}
