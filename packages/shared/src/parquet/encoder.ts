// Encoding events as Parquet files: the rows are made on the caller's thread
// (toWarehouseRow), the file in an encoding thread (pool.ts, write.ts). The
// column layout is in write.ts.
//
// It lives in shared (`@eventkit/shared/parquet`) so that the worker, which
// writes the files, and the loader's tests, which load them into the BigQuery
// and DuckDB warehouses, use the same encoder: what the loader is tested with
// is what the worker writes. Reading files back (readRows, describe: tests,
// the bench and tools) uses DuckDB, loaded only when first asked for, so a
// worker that only writes never loads it.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { toWarehouseRow, WAREHOUSE_COLUMNS, type WarehouseRow } from '../event/row.ts';
import type { RoutedEvent, SegmentEvent } from '../event/types.ts';
import { EventsRejectedError } from '../ports/event-sink.ts';
import { EncoderPool } from './pool.ts';
import { toColumns } from './write.ts';

const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`;

export interface ParquetEncoderOptions {
  /**
   * Encoding threads (default: the cores but one, at least one). 0 encodes
   * on the calling thread.
   */
  threads?: number;
  /** Jobs waiting for a thread before encode() waits for room (default 64). */
  maxQueued?: number;
  /** Where readRows/describe put temporary files (default: a fresh directory under the OS temp dir). */
  tempDir?: string;
}

interface Reader {
  instance: DuckDBInstance;
  con: DuckDBConnection;
  tempDir: string;
}

export class ParquetEncoder {
  readonly #pool: EncoderPool;
  readonly #options: ParquetEncoderOptions;
  #reader: Promise<Reader> | undefined;
  #closed = false;

  private constructor(options: ParquetEncoderOptions) {
    this.#options = options;
    this.#pool = new EncoderPool({
      threads: options.threads ?? Math.max(1, availableParallelism() - 1),
      ...(options.maxQueued === undefined ? {} : { maxQueued: options.maxQueued }),
    });
  }

  static async create(options: ParquetEncoderOptions = {}): Promise<ParquetEncoder> {
    return new ParquetEncoder(options);
  }

  /** Encoding threads in use (0: on the calling thread). */
  get threads(): number {
    return this.#pool.threads;
  }

  /**
   * The events as one zstd Parquet file. Throws EventsRejectedError, before
   * anything is written, naming events that cannot be encoded at all (no row,
   * or a time that cannot be stored as a timestamp).
   */
  async encode(events: readonly RoutedEvent[]): Promise<Buffer> {
    const rows: WarehouseRow[] = [];
    const rejected: { index: number; reason: { code: string; message: string } }[] = [];
    for (let index = 0; index < events.length; index++) {
      try {
        rows.push(toWarehouseRow(events[index]!));
      } catch (err) {
        rejected.push({ index, reason: { code: 'not_encodable', message: (err as Error).message } });
      }
    }
    if (rejected.length > 0) throw new EventsRejectedError(rejected);
    return this.encodeRows(rows);
  }

  /** Warehouse rows (as `toWarehouseRow` makes them) as one Parquet file. */
  async encodeRows(rows: readonly WarehouseRow[]): Promise<Buffer> {
    if (this.#closed) throw new Error('ParquetEncoder is closed');
    const result = await this.#pool.encode(toColumns(rows));
    if ('rejected' in result) throw new EventsRejectedError(result.rejected);
    return Buffer.from(result.file.buffer, result.file.byteOffset, result.file.byteLength);
  }

  /** DuckDB, for reading files back: opened on first use. */
  #duck(): Promise<Reader> {
    this.#reader ??= (async () => {
      const { DuckDBInstance } = await import('@duckdb/node-api');
      const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
      const tempDir = this.#options.tempDir ?? (await mkdtemp(path.join(tmpdir(), 'eventkit-parquet-')));
      return { instance, con: await instance.connect(), tempDir };
    })();
    return this.#reader;
  }

  /** Reads a Parquet file (a path, or its bytes) back into warehouse rows: for tests, the bench and tools. */
  async readRows(file: string | Uint8Array): Promise<WarehouseRow[]> {
    const { con, tempDir } = await this.#duck();
    const target = typeof file === 'string' ? file : path.join(tempDir, `read-${randomUUID()}.parquet`);
    if (typeof file !== 'string') await writeFile(target, file);
    try {
      const result = await con.runAndReadAll(`SELECT * FROM read_parquet(${sqlString(target)})`);
      return result.getRowObjectsJS().map((r) => {
        const row: Record<string, unknown> = {};
        for (const c of WAREHOUSE_COLUMNS) {
          const v = r[c.name];
          row[c.name] = v instanceof Date ? v.toISOString() : (v ?? null);
        }
        return row as WarehouseRow;
      });
    } finally {
      if (typeof file !== 'string') await rm(target, { force: true });
    }
  }

  /** What a Parquet file holds: columns with physical and logical types, codecs, row groups (tests, tools). */
  async describe(file: Uint8Array): Promise<{
    columns: { name: string; type: string | null; converted: string | null; logical: string | null }[];
    compressions: string[];
    rowGroups: number;
  }> {
    const { con, tempDir } = await this.#duck();
    const target = path.join(tempDir, `describe-${randomUUID()}.parquet`);
    await writeFile(target, file);
    try {
      const schema = await con.runAndReadAll(
        `SELECT name, type, converted_type, logical_type FROM parquet_schema(${sqlString(target)}) WHERE type IS NOT NULL`,
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
      await rm(target, { force: true });
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.close();
    if (this.#reader) {
      const { instance, con, tempDir } = await this.#reader;
      con.closeSync();
      instance.closeSync();
      if (this.#options.tempDir === undefined) await rm(tempDir, { recursive: true, force: true });
    }
  }
}

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
