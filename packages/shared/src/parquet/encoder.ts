// Encoding events as Parquet with DuckDB (@duckdb/node-api): rows go into an
// in-memory staging table through the appender, then COPY writes zstd Parquet
// files that are read back as bytes. DuckDB does the columnar work in C++;
// measured numbers are in the worker's README (bench/worker.bench.ts).
//
// It lives in shared (`@eventkit/shared/parquet`) so that the worker, which
// writes the files, and the loader's tests, which load them into the BigQuery
// and DuckDB warehouses, use the same encoder: what the loader is tested with
// is what the worker writes.
//
// The file's columns are exactly WAREHOUSE_COLUMNS, in order:
// - STRING and JSON columns: VARCHAR (Parquet UTF8) holding toWarehouseRow's
//   string; JSON stays text because BigQuery loads JSON columns from Parquet
//   only as strings (the loader's merge applies PARSE_JSON);
// - TIMESTAMP columns: Parquet TIMESTAMP(isAdjustedToUTC=true, MICROS) — what
//   BigQuery maps to TIMESTAMP (not DATETIME) — cast by DuckDB from the ISO
//   strings of normalizeEvent; loaded_at is always NULL (the loader sets it).
// - one row group per file (ROW_GROUP_SIZE far above any batch): large row
//   groups are what BigQuery loads fastest.
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { toWarehouseRow, WAREHOUSE_COLUMNS, type WarehouseRow } from '../event/row.ts';
import type { Reason, RoutedEvent, SegmentEvent } from '../event/types.ts';
import { EventsRejectedError } from '../ports/event-sink.ts';

type ColumnName = (typeof WAREHOUSE_COLUMNS)[number]['name'];

/** Columns appended from the row; loaded_at is always NULL and only appears in the file. */
const APPENDED = WAREHOUSE_COLUMNS.filter((c) => c.name !== 'loaded_at').map((c) => c.name) as ColumnName[];
const TIMESTAMP_COLUMNS = WAREHOUSE_COLUMNS.filter(
  (c) => c.type === 'TIMESTAMP' && c.name !== 'loaded_at',
).map((c) => c.name);
const quoteId = (name: string) => `"${name}"`;
/** The staging table's extra column: which file of the round a row belongs to (not written to the files). */
const FILE_COLUMN = '__file';
const TABLE_DDL = APPENDED.map((c) => `${quoteId(c)} VARCHAR`).join(', ');
const SELECT_LIST = WAREHOUSE_COLUMNS.map((c) => {
  if (c.name === 'loaded_at') return `CAST(NULL AS TIMESTAMPTZ) AS ${quoteId(c.name)}`;
  if (c.type === 'TIMESTAMP') return `CAST(${quoteId(c.name)} AS TIMESTAMPTZ) AS ${quoteId(c.name)}`;
  return quoteId(c.name);
}).join(', ');

const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`;

interface Staging {
  con: DuckDBConnection;
  table: string;
}

export interface ParquetEncoderOptions {
  /** DuckDB threads (default 1: the worker's CPU belongs to its event loop first). */
  threads?: number;
  /** DuckDB memory limit (default 256MB). */
  memoryLimit?: string;
  /** Where the temporary Parquet files go (default: a fresh directory under the OS temp dir). */
  tempDir?: string;
}

interface Job {
  /** Events (`encode`) or rows already made (`encodeRows`). */
  events?: readonly RoutedEvent[];
  rows?: readonly WarehouseRow[];
  resolve: (file: Buffer) => void;
  reject: (err: unknown) => void;
}

/**
 * Rows built and appended between two turns of the event loop. Appending is
 * synchronous (a native call per value, ~5 µs a row): a round of 16 flushes of
 * 5,000 events held the loop for half a second, and with it the acks, the
 * lease extensions and /health. A slice of 1,000 rows holds it ~5 ms.
 */
const SLICE_ROWS = 1000;

/** Most rows encoded in one round; more waiting jobs go in the next one. */
const MAX_ROUND_ROWS = 200_000;

export class ParquetEncoder {
  readonly #instance: DuckDBInstance;
  readonly #tempDir: string;
  readonly #ownsTempDir: boolean;
  readonly #idle: Staging[] = [];
  readonly #queue: Job[] = [];
  #running = false;
  #closed = false;
  #rounds = 0;

  private constructor(instance: DuckDBInstance, tempDir: string, ownsTempDir: boolean) {
    this.#instance = instance;
    this.#tempDir = tempDir;
    this.#ownsTempDir = ownsTempDir;
  }

  static async create(options: ParquetEncoderOptions = {}): Promise<ParquetEncoder> {
    const instance = await DuckDBInstance.create(':memory:', {
      threads: String(options.threads ?? 1),
      memory_limit: options.memoryLimit ?? '256MB',
      // Row order inside a file means nothing to the warehouse; not keeping it lets COPY skip work.
      preserve_insertion_order: 'false',
    });
    const tempDir = options.tempDir ?? (await mkdtemp(path.join(tmpdir(), 'eventkit-parquet-')));
    return new ParquetEncoder(instance, tempDir, options.tempDir === undefined);
  }

  /**
   * A connection with its own staging table, reused across rounds (creating
   * and dropping a table per batch costs more than the rows of a small batch).
   */
  async #connect(): Promise<Staging> {
    const idle = this.#idle.pop();
    if (idle) return idle;
    const con = await this.#instance.connect();
    const table = `staging_${randomUUID().replaceAll('-', '')}`;
    await con.run(`CREATE TABLE ${table} (${TABLE_DDL}, ${FILE_COLUMN} INTEGER)`);
    return { con, table };
  }

  #release(staging: Staging): void {
    if (this.#closed) staging.con.closeSync();
    else this.#idle.push(staging);
  }

  /**
   * The events as one zstd Parquet file. Throws EventsRejectedError, before
   * anything is written, naming events that cannot be encoded at all.
   *
   * Files requested together (the partitions flushed in the same turn of the
   * event loop) are encoded in one round: one staging table, one COPY with
   * PARTITION_BY, one file each. A COPY and the appender's commit cost a few
   * milliseconds whatever their size, which would otherwise dominate the small
   * files of a 1,000-event batch.
   */
  encode(events: readonly RoutedEvent[]): Promise<Buffer> {
    return this.#enqueue({ events });
  }

  /** Warehouse rows (as `toWarehouseRow` makes them) as one Parquet file: for test fixtures and tools. */
  encodeRows(rows: readonly WarehouseRow[]): Promise<Buffer> {
    return this.#enqueue({ rows });
  }

  #enqueue(input: Pick<Job, 'events' | 'rows'>): Promise<Buffer> {
    if (this.#closed) return Promise.reject(new Error('ParquetEncoder is closed'));
    return new Promise((resolve, reject) => {
      this.#queue.push({ ...input, resolve, reject });
      this.#pump();
    });
  }

  #pump(): void {
    if (this.#running || this.#queue.length === 0) return;
    this.#running = true;
    // One turn later: flushes started in the same turn share the round.
    setImmediate(() => {
      const jobs: Job[] = [];
      let rows = 0;
      while (
        this.#queue.length > 0 &&
        (jobs.length === 0 || rows + sizeOf(this.#queue[0]!) <= MAX_ROUND_ROWS)
      ) {
        const job = this.#queue.shift()!;
        rows += sizeOf(job);
        jobs.push(job);
      }
      void this.#round(jobs).finally(() => {
        this.#running = false;
        this.#pump();
      });
    });
  }

  async #round(jobs: Job[]): Promise<void> {
    // Rows first, so a job with an event that has no row is refused whole and nothing of it is appended.
    const ready: { job: Job; rows: WarehouseRow[] }[] = [];
    let built = 0;
    for (const job of jobs) {
      if (job.rows) {
        ready.push({ job, rows: [...job.rows] });
        continue;
      }
      const rows: WarehouseRow[] = [];
      const rejected: { index: number; reason: { code: string; message: string } }[] = [];
      const events = job.events ?? [];
      for (let index = 0; index < events.length; index++) {
        if (++built % SLICE_ROWS === 0) await nextTurn();
        try {
          rows.push(toWarehouseRow(events[index]!));
        } catch (err) {
          rejected.push({ index, reason: { code: 'not_encodable', message: (err as Error).message } });
        }
      }
      if (rejected.length > 0) job.reject(new EventsRejectedError(rejected));
      else ready.push({ job, rows });
    }
    if (ready.length === 0) return;
    const staging = await this.#connect();
    const { con, table } = staging;
    const out = path.join(this.#tempDir, `${table}-${++this.#rounds}`);
    try {
      const appender = await con.createAppender(table);
      let appended = 0;
      for (const [file, { rows }] of ready.entries()) {
        for (const row of rows) {
          for (const column of APPENDED) {
            const value = row[column];
            if (value === null) appender.appendNull();
            else appender.appendVarchar(value);
          }
          appender.appendInteger(file);
          appender.endRow();
          if (++appended % SLICE_ROWS === 0) {
            appender.flushSync();
            await nextTurn();
          }
        }
      }
      appender.closeSync();
      const files = await this.#copy(con, table, out, ready.length);
      if (files) {
        for (const [i, { job }] of ready.entries()) job.resolve(files[i]!);
        return;
      }
      if (ready.length > 1) {
        // Something in the round cannot be written: encode each file alone to find whose.
        await con.run(`DELETE FROM ${table}`);
        for (const { job } of ready) await this.#round([job]);
        return;
      }
      const bad = await this.#unconvertible(con, table);
      ready[0]!.job.reject(
        bad.length > 0 ? new EventsRejectedError(bad) : new Error('DuckDB could not write the Parquet file'),
      );
    } catch (err) {
      for (const { job } of ready) job.reject(err);
    } finally {
      await con.run(`DELETE FROM ${table}`).catch(() => {});
      await rm(out, { recursive: true, force: true });
      this.#release(staging);
    }
  }

  /** COPY to one file per job (PARTITION_BY the job's number); undefined when DuckDB refused the data. */
  async #copy(
    con: DuckDBConnection,
    table: string,
    out: string,
    count: number,
  ): Promise<Buffer[] | undefined> {
    const options = `FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 10000000`;
    try {
      if (count === 1) {
        await con.run(
          `COPY (SELECT ${SELECT_LIST} FROM ${table}) TO ${sqlString(`${out}.parquet`)} (${options})`,
        );
        return [await readFile(`${out}.parquet`).finally(() => rm(`${out}.parquet`, { force: true }))];
      }
      await con.run(
        `COPY (SELECT ${SELECT_LIST}, ${FILE_COLUMN} FROM ${table}) TO ${sqlString(out)} (${options}, PARTITION_BY (${FILE_COLUMN}))`,
      );
    } catch {
      return undefined;
    }
    const files: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      const dir = path.join(out, `${FILE_COLUMN}=${i}`);
      const names = await readdir(dir);
      if (names.length !== 1) throw new Error(`expected one Parquet file in ${dir}, found ${names.length}`);
      files.push(await readFile(path.join(dir, names[0]!)));
    }
    return files;
  }

  /** Rows whose time text DuckDB cannot read as a timestamp (normalised events never have one). */
  async #unconvertible(con: DuckDBConnection, table: string): Promise<{ index: number; reason: Reason }[]> {
    const condition = TIMESTAMP_COLUMNS.map(
      (c) => `(${quoteId(c)} IS NOT NULL AND TRY_CAST(${quoteId(c)} AS TIMESTAMPTZ) IS NULL)`,
    ).join(' OR ');
    // The staging table is reused (DELETE keeps counting rowids): indexes are relative to this batch's first row.
    const result = await con.runAndReadAll(
      `SELECT rowid - (SELECT min(rowid) FROM ${table}) FROM ${table} WHERE ${condition} ORDER BY rowid`,
    );
    return result.getRows().map(([rowid]) => ({
      index: Number(rowid),
      reason: { code: 'invalid_timestamp', message: 'a time field cannot be stored as a timestamp' },
    }));
  }

  /** Reads a Parquet file (a path, or its bytes) back into warehouse rows: for tests, the bench and tools. */
  async readRows(file: string | Uint8Array): Promise<WarehouseRow[]> {
    const target = typeof file === 'string' ? file : path.join(this.#tempDir, `read-${randomUUID()}.parquet`);
    if (typeof file !== 'string') await writeFile(target, file);
    const staging = await this.#connect();
    try {
      const result = await staging.con.runAndReadAll(`SELECT * FROM read_parquet(${sqlString(target)})`);
      return result.getRowObjectsJS().map((r) => {
        const row: Record<string, unknown> = {};
        for (const c of WAREHOUSE_COLUMNS) {
          const v = r[c.name];
          row[c.name] = v instanceof Date ? v.toISOString() : (v ?? null);
        }
        return row as WarehouseRow;
      });
    } finally {
      this.#release(staging);
      if (typeof file !== 'string') await rm(target, { force: true });
    }
  }

  /** What a Parquet file holds: columns with physical and logical types, codecs, row groups (tests, tools). */
  async describe(file: Uint8Array): Promise<{
    columns: { name: string; type: string | null; converted: string | null; logical: string | null }[];
    compressions: string[];
    rowGroups: number;
  }> {
    const target = path.join(this.#tempDir, `describe-${randomUUID()}.parquet`);
    await writeFile(target, file);
    const staging = await this.#connect();
    const { con } = staging;
    try {
      const schema = await con.runAndReadAll(
        `SELECT name, type, converted_type, logical_type FROM parquet_schema(${sqlString(target)}) WHERE name <> 'duckdb_schema'`,
      );
      const meta = await con.runAndReadAll(
        `SELECT DISTINCT compression, row_group_id FROM parquet_metadata(${sqlString(target)})`,
      );
      const metaRows = meta.getRowObjectsJS();
      return {
        columns: schema.getRowObjectsJS().map((r) => ({
          name: String(r.name),
          type: r.type === null ? null : String(r.type),
          converted: r.converted_type === null ? null : String(r.converted_type),
          logical: r.logical_type === null ? null : String(r.logical_type),
        })),
        compressions: [...new Set(metaRows.map((r) => String(r.compression)))],
        rowGroups: new Set(metaRows.map((r) => String(r.row_group_id))).size,
      };
    } finally {
      this.#release(staging);
      await rm(target, { force: true });
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const { con } of this.#idle.splice(0)) con.closeSync();
    this.#instance.closeSync();
    if (this.#ownsTempDir) await rm(this.#tempDir, { recursive: true, force: true });
  }
}

const sizeOf = (job: Job) => job.events?.length ?? job.rows?.length ?? 0;

/** A warehouse row back as the routed event it came from (request ids are not stored in files). */
export function rowToRoutedEvent(row: WarehouseRow): RoutedEvent {
  const event: Record<string, unknown> = {
    type: row.type,
    messageId: row.message_id,
    timestamp: row.timestamp,
    receivedAt: row.received_at,
  };
  const text: [keyof SegmentEvent, string | null][] = [
    ['event', row.event],
    ['name', row.name],
    ['userId', row.user_id],
    ['anonymousId', row.anonymous_id],
    ['groupId', row.group_id],
    ['previousId', row.previous_id],
    ['originalTimestamp', row.original_timestamp],
    ['sentAt', row.sent_at],
  ];
  for (const [field, value] of text) if (value !== null) event[field] = value;
  const json: [keyof SegmentEvent, string | null][] = [
    ['properties', row.properties],
    ['traits', row.traits],
    ['context', row.context],
    ['integrations', row.integrations],
  ];
  for (const [field, value] of json) if (value !== null) event[field] = JSON.parse(value);
  return { event: event as SegmentEvent, source: row.source, stream: row.stream, requestId: '' };
}
