// The production warehouse: BigQuery, loading the worker's files from GCS.
//
// One job (a group of files) is four steps, each a BigQuery job with an id
// from jobs.ts (`eventkit_{job id}_{destination hash}_{step}_{attempt}`), so a
// rerun after a crash finds what already finished:
//   1. a fresh staging table `_eventkit_staging_{table}_{job id}` (expires in a
//      day, so an abandoned one cleans itself up);
//   2. `load`: a load job from the gs:// URIs, PARQUET (errors: NDJSON), with
//      the staging schema (the files' columns, JSON as STRING), WRITE_TRUNCATE,
//      CREATE_NEVER, ignoreUnknownValues false;
//   3. `count`: rows and time span per file, from the files' metadata through a
//      temporary external table (a loaded table has no _FILE_NAME), for the
//      ledger and for the dedup window's bounds;
//   4. `merge`: one multi-statement transaction — the staged rows whose key
//      hash is not in the target's keys table within the window go into the
//      target (PARSE_JSON) and their keys into the keys table, and the ledger
//      rows are appended — so rows, keys and ledger commit together (sql.ts).
// The staging table is then dropped. A failed step throws: nothing is
// recorded, and the next run starts the job again (finished steps are reused).
//
// Table modifications: per job the target, its keys table and the ledger get
// one INSERT each; a staging table is loaded once. Everything else is reads.
import { createHash } from 'node:crypto';
import type { Logger } from '@eventkit/shared/logging';
import { silentLogger } from '@eventkit/shared/logging';
import type {
  LedgerSummary,
  LoadErrorKind,
  LoadedKeysOptions,
  LoadJob,
  LoadResult,
  Warehouse,
} from '@eventkit/shared/ports';
import { WarehouseConfigError } from '@eventkit/shared/ports';
import type { BigQuery } from '@google-cloud/bigquery';
import { specFor, type TableNames, type TableSpec, tableNames, targetOf } from '../tables.ts';
import type { ViewsReport } from '../views/types.ts';
import { type CountRow, DAY_MS, oldestFolderDay, toDate, windowOf } from './counts.ts';
import { externalFiles, loadConfig, queryConfig } from './job-configs.ts';
import { BigQueryJobError, JobRunner, type JobRunnerOptions } from './jobs.ts';
import {
  ledgerRowsParam,
  type QueryParameter,
  stringArrayParam,
  stringParam,
  timestampParam,
} from './params.ts';
import {
  KEYS_LABEL,
  keysTableName,
  keysTableResource,
  ledgerTableResource,
  stagingFields,
  targetTableResource,
} from './schema.ts';
import {
  countFilesSql,
  jobLedgerSql,
  keysBackfillSql,
  lastLoadedKeysSql,
  ledgerSummarySql,
  loadedKeysSql,
  mergeScript,
  type Qualified,
} from './sql.ts';
import { refreshBigQueryViews } from './views.ts';

export interface BigQueryWarehouseOptions {
  client: BigQuery;
  /** GCP_BIGQUERY_DATASET. */
  dataset: string;
  /** GCP_BIGQUERY_TABLE (dead letters go to `{table}_errors`). */
  table: string;
  /**
   * GCP_BIGQUERY_LOCATION: where a dataset the loader creates goes and where
   * every job runs. An existing dataset in another location is an error (the
   * loader would otherwise run its jobs somewhere the operator did not ask
   * for). Unset: a new dataset goes to US, an existing one is used where it is.
   */
  location?: string;
  logger?: Logger;
  pollIntervalMs?: number;
  maxPollIntervalMs?: number;
  jobTimeoutMs?: number;
  maxAttempts?: number;
  backoff?: Partial<JobRunnerOptions['backoff']>;
  /** How long an abandoned staging table lives. Default one day. */
  stagingExpirationMs?: number;
  /** Days of ledger partitions searched for watermarks. Default 32. */
  watermarkDays?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Test seams. */
  hooks?: { afterLoad?: (job: LoadJob) => void | Promise<void> };
}

export class BigQueryWarehouse implements Warehouse {
  readonly kind = 'bigquery';
  readonly names: TableNames;
  readonly #o: BigQueryWarehouseOptions;
  readonly #client: BigQuery;
  readonly #jobs: JobRunner;
  readonly #log: Logger;
  #location: string | undefined;

  constructor(options: BigQueryWarehouseOptions) {
    this.#o = options;
    this.#client = options.client;
    this.names = tableNames(options.dataset, options.table);
    this.#log = options.logger ?? silentLogger();
    this.#location = options.location;
    const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    this.#jobs = new JobRunner({
      client: options.client,
      location: () => this.#location,
      pollIntervalMs: options.pollIntervalMs ?? 500,
      maxPollIntervalMs: options.maxPollIntervalMs ?? 5_000,
      jobTimeoutMs: options.jobTimeoutMs ?? 30 * 60_000,
      maxAttempts: options.maxAttempts ?? 8,
      backoff: { initialMs: 2_000, maxMs: 60_000, retries: 5, ...options.backoff },
      sleep,
      onBackoff: (what, reason, waitMs) =>
        this.#log.warn({ job_id: what, reason, wait_ms: waitMs }, 'bigquery_backoff'),
    });
  }

  /** Where the jobs run: GCP_BIGQUERY_LOCATION, else the dataset's location once known. */
  get location(): string | undefined {
    return this.#location;
  }

  get projectId(): string {
    return String(this.#client.projectId);
  }

  #qualified(table: string): string {
    return `${this.projectId}.${this.names.dataset}.${table}`;
  }

  async ensureTables(): Promise<void> {
    const dataset = this.#client.dataset(this.names.dataset);
    try {
      const [metadata] = await dataset.getMetadata();
      const where = metadata.location as string | undefined;
      if (this.#o.location && where && where.toUpperCase() !== this.#o.location.toUpperCase()) {
        throw new WarehouseConfigError(
          `BigQuery dataset ${this.projectId}.${this.names.dataset} is in ${where}, but GCP_BIGQUERY_LOCATION is ${this.#o.location}: set GCP_BIGQUERY_LOCATION=${where}, or use another dataset`,
        );
      }
      this.#location = where ?? this.#location;
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err;
      // BigQuery's default location is US; saying it keeps the jobs' location known.
      const location = this.#o.location ?? 'US';
      await this.#client.createDataset(this.names.dataset, { location }).catch(ignoreConflict);
      this.#location = location;
      this.#log.info({ dataset: this.names.dataset, location }, 'bigquery_dataset_created');
    }
    const tables: [string, object][] = [
      [this.names.events, targetTableResource(specFor('events'), 'eventkit events (one row per event)')],
      [this.names.errors, targetTableResource(specFor('errors'), 'eventkit dead letters')],
      [this.names.ledger, ledgerTableResource()],
    ];
    for (const [name, resource] of tables) {
      const [exists] = await dataset.table(name).exists();
      if (exists) continue;
      await dataset.createTable(name, resource).catch(ignoreConflict);
      this.#log.info({ table: name }, 'bigquery_table_created');
    }
    for (const table of ['events', 'errors'] as const) await this.#ensureKeys(specFor(table));
  }

  /**
   * The target's keys table, holding a key for every row of the target before
   * any merge uses it: a new one (or one whose fill was interrupted) is filled
   * from the target in one transaction and then labelled ready. Upgrading a
   * loader whose targets already hold rows costs one read of their key columns.
   */
  async #ensureKeys(spec: TableSpec): Promise<void> {
    const target = targetOf(this.names, spec.table);
    const name = keysTableName(target);
    const table = this.#client.dataset(this.names.dataset).table(name);
    const [exists] = await table.exists();
    if (!exists) {
      await this.#client
        .dataset(this.names.dataset)
        .createTable(name, keysTableResource(spec))
        .catch(ignoreConflict);
      this.#log.info({ table: name }, 'bigquery_table_created');
    }
    const [metadata] = await table.getMetadata();
    if ((metadata.labels as Record<string, string> | undefined)?.[KEYS_LABEL] === 'ready') return;
    const sql = keysBackfillSql(spec, { target: this.#qualified(target), keys: this.#qualified(name) });
    const id = `eventkit_keys_backfill_${Date.now()}_${Math.random().toString(36).slice(2, 10)}`;
    await this.#jobs.run(id, 'query', queryConfig(sql, []), false);
    await table.setMetadata({ labels: { ...(metadata.labels ?? {}), [KEYS_LABEL]: 'ready' } });
    this.#log.info({ table: name, target }, 'bigquery_keys_filled');
  }

  async #query<T>(sql: string, params: QueryParameter[], extra: object = {}): Promise<T[]> {
    const id = `eventkit_read_${Date.now()}_${Math.random().toString(36).slice(2, 10)}`;
    const { job } = await this.#jobs.run(id, 'query', queryConfig(sql, params, extra), false);
    return this.#jobs.rows<T>(job);
  }

  async loadedKeys(keys: readonly string[], options: LoadedKeysOptions = {}): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    // A day of slack for clock skew between the workers and the loader.
    const since = options.writtenAfter ? new Date(options.writtenAfter.getTime() - DAY_MS) : undefined;
    const rows = await this.#query<{ key: string }>(
      loadedKeysSql(this.#qualified(this.names.ledger), since !== undefined),
      [stringArrayParam('keys', keys), ...(since ? [timestampParam('since', since)] : [])],
    );
    return new Set(rows.map((r) => r.key));
  }

  async lastLoadedKeys(prefixes: readonly string[]): Promise<Map<string, string>> {
    if (prefixes.length === 0) return new Map();
    const sql = lastLoadedKeysSql(this.#qualified(this.names.ledger), this.#o.watermarkDays ?? 32);
    const rows = await this.#query<{ prefix: string; last_key: string | null }>(sql, [
      stringArrayParam('prefixes', prefixes),
    ]);
    return new Map(rows.flatMap((r) => (r.last_key ? [[r.prefix, r.last_key] as [string, string]] : [])));
  }

  async ledgerSummary(): Promise<LedgerSummary> {
    const [row] = await this.#query<{ files: number; row_count: number; last_loaded_at: unknown }>(
      ledgerSummarySql(this.#qualified(this.names.ledger)),
      [],
    );
    return {
      files: Number(row?.files ?? 0),
      rows: Number(row?.row_count ?? 0),
      lastLoadedAt: toDate(row?.last_loaded_at),
    };
  }

  /** The result of a job that already committed (its merge, or the ledger's record of it), else undefined. */
  async #finishedBefore(base: string, job: LoadJob, target: string): Promise<LoadResult | undefined> {
    const merged = await this.#jobs.findSucceeded(base, 'merge');
    if (merged.found) {
      const counted = (await this.#jobs.findSucceeded(base, 'count')).found;
      const counts = counted ? await this.#jobs.rows<CountRow>(counted.job) : [];
      const [result] = await this.#jobs.rows<{ rows_inserted: number }>(merged.found.job);
      return {
        jobId: job.id,
        rowsRead: counts.reduce((n, r) => n + Number(r.row_count), 0),
        rowsInserted: Number(result?.rows_inserted ?? 0),
        alreadyDone: true,
      };
    }
    if (merged.exhausted) {
      // Every deterministic merge id failed, so a later merge ran under an id
      // no rerun can guess. Whether it committed is in the ledger, written in
      // the same transaction as the rows: the ledger is the truth.
      const recorded = await this.#recorded(job, target);
      if (recorded) return { jobId: job.id, ...recorded, alreadyDone: true };
    }
    return undefined;
  }

  async load(job: LoadJob): Promise<LoadResult> {
    const spec = specFor(job.table);
    const target = targetOf(this.names, job.table);
    const stagingName = `_eventkit_staging_${target}_${job.id}`;
    const names: Qualified = {
      target: this.#qualified(target),
      staging: this.#qualified(stagingName),
      ledger: this.#qualified(this.names.ledger),
      keys: this.#qualified(keysTableName(target)),
    };
    const base = `eventkit_${job.id}_${shortHash(names.target)}`;
    const uris = job.files.map((f) => f.uri);

    // 0. Finished before (a rerun of a job whose merge committed): change nothing.
    const before = await this.#finishedBefore(base, job, target);
    if (before) return before;

    // 1. A fresh staging table. If it already existed, an earlier run's load into
    //    it may be reused; if it had to be created, any such load's rows are gone.
    const created = await this.#createStaging(stagingName, spec);

    // 2. Load the files into it.
    const destination = { projectId: this.projectId, datasetId: this.names.dataset, tableId: stagingName };
    await this.#jobs.run(base, 'load', loadConfig(spec, uris, destination), !created);
    await this.#o.hooks?.afterLoad?.(job);

    // 3. Rows and time span per file.
    const { job: countJob } = await this.#jobs.run(
      base,
      'count',
      queryConfig(countFilesSql(spec), [], { tableDefinitions: { files: externalFiles(spec, uris) } }),
      true,
    );
    const counts = await this.#jobs.rows<CountRow>(countJob);
    const rowsByUri = new Map(counts.map((r) => [r.uri, Number(r.row_count)]));
    const rowsRead = counts.reduce((n, r) => n + Number(r.row_count), 0);
    const window = windowOf(counts, job.dedupWindowDays);

    // 4. Merge and record, in one transaction.
    const params = [
      stringParam('job_id', job.id),
      stringParam('target_table', target),
      ledgerRowsParam(
        'files',
        job.files.map((f) => ({ key: f.key, rowCount: rowsByUri.get(f.uri) ?? 0 })),
      ),
      timestampParam('window_start', window?.start),
      timestampParam('window_end', window?.end),
    ];
    const merge = await this.#jobs.run(
      base,
      'merge',
      queryConfig(mergeScript(spec, names, target), params),
      true,
    );
    const [result] = await this.#jobs.rows<{ rows_inserted: number }>(merge.job);
    const rowsInserted = Number(result?.rows_inserted ?? 0);

    await this.#client
      .dataset(this.names.dataset)
      .table(stagingName)
      .delete()
      .catch((err: unknown) =>
        this.#log.warn({ table: stagingName, err }, 'bigquery_staging_not_dropped (it expires on its own)'),
      );
    return { jobId: job.id, rowsRead, rowsInserted, alreadyDone: merge.reused };
  }

  /** The job's ledger rows, if its merge committed (rows inserted are not recorded: 0). */
  async #recorded(
    job: LoadJob,
    target: string,
  ): Promise<{ rowsRead: number; rowsInserted: number } | undefined> {
    const since = oldestFolderDay(job.files.map((f) => f.key));
    const [row] = await this.#query<{ files: number; row_count: number }>(
      jobLedgerSql(this.#qualified(this.names.ledger), since !== undefined),
      [
        stringParam('job_id', job.id),
        stringParam('target_table', target),
        ...(since ? [timestampParam('since', since)] : []),
      ],
    );
    if (Number(row?.files ?? 0) === 0) return undefined;
    return { rowsRead: Number(row?.row_count ?? 0), rowsInserted: 0 };
  }

  async #createStaging(name: string, spec: TableSpec): Promise<boolean> {
    const expirationTime = String(Date.now() + (this.#o.stagingExpirationMs ?? DAY_MS));
    try {
      await this.#jobs.withBackoff(name, () =>
        this.#client.dataset(this.names.dataset).createTable(name, {
          schema: { fields: stagingFields(spec) },
          expirationTime,
          description: 'eventkit loader staging table (one load job); dropped after its merge',
        }),
      );
      return true;
    } catch (err) {
      if ((err as { code?: number }).code === 409) return false;
      throw err;
    }
  }

  /**
   * A load job failing `invalid` (BigQuery: "any type of invalid input other
   * than an invalid query", e.g. a corrupt Parquet file or a bad value) may be
   * one file or all of them (a schema drift), so it is `unknown`: the loader
   * quarantines such a file only when other files of its group loaded. Every
   * other failure (quotas, backend errors, requests) is retried as is.
   */
  classifyError(err: unknown): LoadErrorKind {
    return err instanceof BigQueryJobError && err.reason === 'invalid' ? 'unknown' : 'transient';
  }

  /** The Segment-shaped views (views.ts): query jobs in the dataset's location. */
  refreshViews(known?: ReadonlyMap<string, string>): Promise<ViewsReport> {
    const query = <T>(sql: string, params: QueryParameter[]) => this.#query<T>(sql, params);
    return refreshBigQueryViews(query, this.projectId, this.names, known, new Date());
  }

  async close(): Promise<void> {}
}

function ignoreConflict(err: unknown): void {
  if ((err as { code?: number }).code !== 409) throw err;
}

const shortHash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 8);
