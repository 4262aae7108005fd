// The local warehouse: a DuckDB file with the dataset as a schema and the same
// table names as BigQuery (`events.raw_events`, `events.raw_events_errors`,
// `events._loaded_files`), reading the worker's files directly by path.
//
// A load is one DuckDB transaction: count the rows and time span of each file,
// insert the rows that are new straight from the files (dedup within the batch,
// then against the target within the dedup window), record every file in the
// ledger and the job in `_load_jobs`, commit. A crash at any point before the commit leaves no
// trace, so there is no "loaded but not recorded" state; a job id found in
// `_load_jobs` (a commit whose caller died before it heard back) is not loaded
// again.
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Column } from '@eventkit/shared/event';
import type {
  LedgerSummary,
  LoadErrorKind,
  LoadedKeysOptions,
  LoadJob,
  LoadResult,
  Warehouse,
} from '@eventkit/shared/ports';
import { dedupWindow, specFor, type TableNames, type TableSpec, tableNames, targetOf } from '../tables.ts';
import type { ViewsReport } from '../views/types.ts';
import { DuckDbLockedError, DuckDbMissingError, ident, lit, withDuckDb } from './duckdb-file.ts';
import { refreshDuckDbViews } from './views.ts';

export interface DuckDbWarehouseOptions {
  /** The database file (EVENTKIT_DUCKDB_PATH). */
  path: string;
  /** Schema (GCP_BIGQUERY_DATASET, default `events`). */
  dataset: string;
  /** Events table (GCP_BIGQUERY_TABLE, default `raw_events`). */
  table: string;
  /** How long to wait for another process to release the file. Default 10 s. */
  lockTimeoutMs?: number;
  /** Test seams: run inside the load transaction, after the rows were inserted and before the ledger. */
  hooks?: { beforeRecord?: (job: LoadJob) => void | Promise<void> };
}

const DUCK_TYPE: Record<Column['type'], string> = {
  STRING: 'VARCHAR',
  TIMESTAMP: 'TIMESTAMPTZ',
  JSON: 'JSON',
};

export class DuckDbWarehouse implements Warehouse {
  readonly kind = 'duckdb';
  readonly names: TableNames;
  readonly #opts: DuckDbWarehouseOptions;

  constructor(opts: DuckDbWarehouseOptions) {
    this.#opts = opts;
    this.names = tableNames(opts.dataset, opts.table);
  }

  get path(): string {
    return this.#opts.path;
  }

  #q(table: string): string {
    return `${ident(this.names.dataset)}.${ident(table)}`;
  }

  #write<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    return withDuckDb(this.#opts.path, this.#lockOpts(), fn);
  }

  /** Reads; a warehouse that does not exist yet reads as empty (`empty`). */
  async #read<T>(empty: T, fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    try {
      return await withDuckDb(this.#opts.path, { ...this.#lockOpts(), readOnly: true }, async (c) =>
        (await this.#hasLedger(c)) ? fn(c) : empty,
      );
    } catch (err) {
      if (err instanceof DuckDbMissingError) return empty;
      throw err;
    }
  }

  #lockOpts() {
    return this.#opts.lockTimeoutMs === undefined ? {} : { lockTimeoutMs: this.#opts.lockTimeoutMs };
  }

  async #hasLedger(c: DuckDBConnection): Promise<boolean> {
    const r = await c.runAndReadAll(
      `SELECT count(*) FROM information_schema.tables WHERE table_schema = ${lit(this.names.dataset)} AND table_name = ${lit(this.names.ledger)}`,
    );
    return Number(r.getRows()[0]?.[0] ?? 0) > 0;
  }

  async ensureTables(): Promise<void> {
    await this.#write(async (c) => {
      await c.run(`CREATE SCHEMA IF NOT EXISTS ${ident(this.names.dataset)}`);
      for (const spec of [specFor('events'), specFor('errors')]) {
        const columns = spec.columns
          .map(
            (col) => `${ident(col.name)} ${DUCK_TYPE[col.type]}${col.mode === 'REQUIRED' ? ' NOT NULL' : ''}`,
          )
          .join(', ');
        await c.run(`CREATE TABLE IF NOT EXISTS ${this.#q(targetOf(this.names, spec.table))} (${columns})`);
      }
      await c.run(
        `CREATE TABLE IF NOT EXISTS ${this.#q(this.names.ledger)} (key VARCHAR NOT NULL, target VARCHAR NOT NULL, job_id VARCHAR NOT NULL, row_count BIGINT NOT NULL, loaded_at TIMESTAMPTZ NOT NULL)`,
      );
      await c.run(
        `CREATE TABLE IF NOT EXISTS ${this.#q('_load_jobs')} (job_id VARCHAR PRIMARY KEY, target VARCHAR NOT NULL, files BIGINT NOT NULL, rows_read BIGINT NOT NULL, rows_inserted BIGINT NOT NULL, finished_at TIMESTAMPTZ NOT NULL)`,
      );
    });
  }

  async loadedKeys(keys: readonly string[], _options?: LoadedKeysOptions): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    return this.#read(new Set<string>(), async (c) => {
      const list = keys.map(lit).join(', ');
      const r = await c.runAndReadAll(
        `SELECT DISTINCT key FROM ${this.#q(this.names.ledger)} WHERE key IN (${list})`,
      );
      return new Set(r.getRows().map((row) => String(row[0])));
    });
  }

  async lastLoadedKeys(prefixes: readonly string[]): Promise<Map<string, string>> {
    if (prefixes.length === 0) return new Map();
    return this.#read(new Map<string, string>(), async (c) => {
      const values = prefixes.map((p) => `(${lit(p)})`).join(', ');
      const r = await c.runAndReadAll(
        `SELECT p.prefix, max(l.key) FROM (VALUES ${values}) AS p(prefix) JOIN ${this.#q(this.names.ledger)} l ON starts_with(l.key, p.prefix) GROUP BY p.prefix`,
      );
      return new Map(r.getRows().map((row) => [String(row[0]), String(row[1])]));
    });
  }

  async ledgerSummary(): Promise<LedgerSummary> {
    const empty: LedgerSummary = { files: 0, rows: 0, lastLoadedAt: undefined };
    return this.#read(empty, async (c) => {
      const r = await c.runAndReadAll(
        `SELECT count(*), coalesce(sum(row_count), 0), max(loaded_at) FROM (SELECT key, arg_max(row_count, loaded_at) AS row_count, max(loaded_at) AS loaded_at FROM ${this.#q(this.names.ledger)} GROUP BY key)`,
      );
      const [files, rows, last] = r.getRowsJS()[0] ?? [];
      return {
        files: Number(files ?? 0),
        rows: Number(rows ?? 0),
        lastLoadedAt: last instanceof Date ? last : undefined,
      };
    });
  }

  async load(job: LoadJob): Promise<LoadResult> {
    const spec = specFor(job.table);
    return this.#write(async (c) => {
      await c.run('BEGIN TRANSACTION');
      try {
        const result = await this.#loadInTransaction(c, job, spec);
        await c.run(result.alreadyDone ? 'ROLLBACK' : 'COMMIT');
        return result;
      } catch (err) {
        await c.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  async #loadInTransaction(c: DuckDBConnection, job: LoadJob, spec: TableSpec): Promise<LoadResult> {
    const done = await c.runAndReadAll(
      `SELECT rows_read, rows_inserted FROM ${this.#q('_load_jobs')} WHERE job_id = ${lit(job.id)}`,
    );
    const previous = done.getRowsJS()[0];
    if (previous) {
      return {
        jobId: job.id,
        rowsRead: Number(previous[0]),
        rowsInserted: Number(previous[1]),
        alreadyDone: true,
      };
    }

    // Rows and time span per file: reads only the time column.
    const time = ident(spec.timeColumn);
    const perFile = await c.runAndReadAll(
      `SELECT filename, count(*), min(${time}), max(${time}) FROM ${fileSource(job, spec)} GROUP BY filename`,
    );
    const rowsByUri = new Map<string, number>();
    let min: Date | undefined;
    let max: Date | undefined;
    for (const [uri, n, lo, hi] of perFile.getRowsJS()) {
      rowsByUri.set(String(uri), Number(n));
      if (lo instanceof Date && (!min || lo < min)) min = lo;
      if (hi instanceof Date && (!max || hi > max)) max = hi;
    }
    const rowsRead = [...rowsByUri.values()].reduce((a, b) => a + b, 0);
    const loadedAt = new Date();

    if (rowsRead > 0 && (!min || !max)) {
      throw new Error(`job ${job.id}: the files' rows have no ${spec.timeColumn}; nothing was loaded`);
    }
    let rowsInserted = 0;
    if (min && max) {
      const window = dedupWindow(min, max, job.dedupWindowDays);
      const inserted = await c.run(
        insertNew(job, spec, this.#q(targetOf(this.names, spec.table)), window, loadedAt),
      );
      rowsInserted = Number(inserted.rowsChanged);
    }
    await this.#opts.hooks?.beforeRecord?.(job);

    const target = targetOf(this.names, spec.table);
    const ledgerRows = job.files
      .map(
        (f) =>
          `(${lit(f.key)}, ${lit(target)}, ${lit(job.id)}, ${rowsByUri.get(f.uri) ?? 0}, ${ts(loadedAt)})`,
      )
      .join(', ');
    await c.run(`INSERT INTO ${this.#q(this.names.ledger)} VALUES ${ledgerRows}`);
    await c.run(
      `INSERT INTO ${this.#q('_load_jobs')} VALUES (${lit(job.id)}, ${lit(target)}, ${job.files.length}, ${rowsRead}, ${rowsInserted}, ${ts(loadedAt)})`,
    );
    return { jobId: job.id, rowsRead, rowsInserted, alreadyDone: false };
  }

  /**
   * DuckDB names its error classes at the start of the message. A conversion
   * error (`CAST(… AS JSON)` on a lone surrogate: "no low surrogate in string")
   * and invalid input (a truncated or corrupt Parquet file, malformed NDJSON)
   * are about the files; a lock, an I/O error (disk full) or memory is not.
   */
  classifyError(err: unknown): LoadErrorKind {
    if (err instanceof DuckDbLockedError) return 'transient';
    const message = err instanceof Error ? err.message : String(err);
    if (/^(Conversion Error|Invalid Input Error):/.test(message)) return 'data';
    if (/^(IO Error|Out of Memory Error|TransactionContext Error|Interrupt Error):/.test(message)) {
      return 'transient';
    }
    return 'unknown';
  }

  /** The Segment-shaped views (views.ts), in the dataset's schema. */
  refreshViews(known?: ReadonlyMap<string, string>): Promise<ViewsReport> {
    return this.#write((c) => refreshDuckDbViews(c, this.names, known, new Date()));
  }

  async close(): Promise<void> {
    // Nothing is held between operations.
  }
}

const ts = (d: Date) => `TIMESTAMPTZ ${lit(d.toISOString())}`;

/**
 * The job's files as a table of the file columns (timestamps cast to UTC
 * instants, everything else text), plus `filename` and `file_row_number`.
 * Read straight from the files, twice per job (once for the per-file counts,
 * reading only the time column, once for the insert), which costs less than
 * materializing a staging table.
 */
function fileSource(job: LoadJob, spec: TableSpec): string {
  const files = `[${job.files.map((f) => lit(f.uri)).join(', ')}]`;
  const fromFiles = spec.columns.filter((col) => col.name !== spec.loadedAtColumn);
  const cols = fromFiles.map((col) => castFromFile(col)).join(', ');
  if (spec.format === 'parquet') {
    return `(SELECT ${cols}, filename, file_row_number FROM read_parquet(${files}, filename = true, file_row_number = true))`;
  }
  // NDJSON: every column read as text with an explicit schema (no inference), so the
  // JSON columns stay the JSON text the worker wrote and an empty file is zero rows.
  const schema = fromFiles.map((col) => `${lit(col.name)}: 'VARCHAR'`).join(', ');
  return `(SELECT ${cols}, filename, 0 AS file_row_number FROM read_json(${files}, format = 'newline_delimited', columns = {${schema}}, filename = true))`;
}

function castFromFile(col: Column): string {
  const name = ident(col.name);
  return col.type === 'TIMESTAMP'
    ? `CAST(${name} AS TIMESTAMPTZ) AS ${name}`
    : `CAST(${name} AS VARCHAR) AS ${name}`;
}

/**
 * INSERT of the job's rows that are new: one per key (the earliest; ties by
 * file and position), minus the keys the target has within the dedup window
 * (an anti join on the key, the target scan filtered to the window).
 *
 * Parquet: the winners are chosen on narrow rows (key, time, position) and the
 * full rows fetched by position afterwards, so the window sort and the anti
 * join never carry the wide JSON columns; a batch of redeliveries costs a
 * quarter of the CPU this way. NDJSON has no row positions, and dead letters
 * are few, so their full rows go through the window directly.
 */
function insertNew(
  job: LoadJob,
  spec: TableSpec,
  target: string,
  window: { start: Date; end: Date },
  loadedAt: Date,
): string {
  const names = spec.columns.map((col) => ident(col.name));
  const values = spec.columns.map((col) => {
    if (col.name === spec.loadedAtColumn) return ts(loadedAt);
    return col.type === 'JSON' ? `CAST(s.${ident(col.name)} AS JSON)` : `s.${ident(col.name)}`;
  });
  const key = spec.keyColumns.map(ident).join(', ');
  const time = ident(spec.timeColumn);
  const firstPerKey = `QUALIFY row_number() OVER (PARTITION BY ${key} ORDER BY ${time}, filename, file_row_number) = 1`;
  const notInWindow = `ANTI JOIN (
  SELECT ${key} FROM ${target} WHERE ${time} BETWEEN ${ts(window.start)} AND ${ts(window.end)}
) AS t USING (${key})`;
  const insert = `INSERT INTO ${target} (${names.join(', ')})`;
  if (spec.format !== 'parquet') {
    return `${insert}
SELECT ${values.join(', ')}
FROM (SELECT * FROM ${fileSource(job, spec)} ${firstPerKey}) AS s
${notInWindow}`;
  }
  const files = `[${job.files.map((f) => lit(f.uri)).join(', ')}]`;
  const narrow = `SELECT ${key}, CAST(${time} AS TIMESTAMPTZ) AS ${time}, filename, file_row_number
  FROM read_parquet(${files}, filename = true, file_row_number = true)`;
  return `${insert}
WITH keep AS (
  SELECT filename, file_row_number FROM (${narrow} ${firstPerKey}) AS s
  ${notInWindow}
)
SELECT ${values.join(', ')}
FROM ${fileSource(job, spec)} AS s
SEMI JOIN keep USING (filename, file_row_number)`;
}
