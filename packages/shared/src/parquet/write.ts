// Encoding warehouse rows as one Parquet file, in plain JavaScript
// (hyparquet-writer) with zstd from node:zlib: synchronous and free of native
// state, so it runs in worker threads (see pool.ts) and costs no memory while
// idle. It replaced DuckDB's appender + COPY, which spent the worker's event
// loop on one native call per value, kept a 256 MB in-memory database and
// round-tripped every file through a temporary directory (measured in the
// worker's README: ~1.4× the events per CPU-second, smaller files, ~90 MiB
// less RSS).
//
// The file's columns are exactly WAREHOUSE_COLUMNS, in order, all OPTIONAL
// (as DuckDB wrote them):
// - STRING and JSON columns: BYTE_ARRAY UTF8 holding toWarehouseRow's string;
//   JSON stays text because BigQuery loads JSON columns from Parquet only as
//   strings (the loader's merge applies PARSE_JSON);
// - TIMESTAMP columns: INT64 TIMESTAMP(isAdjustedToUTC=true, MICROS), which
//   BigQuery maps to TIMESTAMP (not DATETIME); loaded_at is always NULL.
// - zstd pages, one row group per file: large row groups load fastest.
import zlib from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { WAREHOUSE_COLUMNS, type WarehouseRow } from '../event/row.ts';
import type { Reason } from '../event/types.ts';

type ColumnName = (typeof WAREHOUSE_COLUMNS)[number]['name'];

/** Column values as the pool sends them to a thread: strings (or null) per column, in WAREHOUSE_COLUMNS order. */
export type Columns = (string | null)[][];

export type Rejection = { index: number; reason: Reason };

const SCHEMA = [
  { name: 'schema', num_children: WAREHOUSE_COLUMNS.length },
  ...WAREHOUSE_COLUMNS.map((c) =>
    c.type === 'TIMESTAMP'
      ? {
          name: c.name,
          type: 'INT64' as const,
          repetition_type: 'OPTIONAL' as const,
          logical_type: { type: 'TIMESTAMP' as const, isAdjustedToUTC: true, unit: 'MICROS' as const },
        }
      : {
          name: c.name,
          type: 'BYTE_ARRAY' as const,
          repetition_type: 'OPTIONAL' as const,
          converted_type: 'UTF8' as const,
        },
  ),
];

const IS_TIMESTAMP = WAREHOUSE_COLUMNS.map((c) => c.type === 'TIMESTAMP');
const NAMES = WAREHOUSE_COLUMNS.map((c) => c.name) as ColumnName[];

/** zstd level 3 (zstd's default, and DuckDB's). */
const zstd = (bytes: Uint8Array): Uint8Array => zlib.zstdCompressSync(bytes);

/** The rows as columns (no copy of the strings themselves). */
export function toColumns(rows: readonly WarehouseRow[]): Columns {
  return NAMES.map((name) => {
    const out = new Array<string | null>(rows.length);
    for (let i = 0; i < rows.length; i++) out[i] = rows[i]![name];
    return out;
  });
}

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** `YYYY-MM-DDTHH:MM:SS.sssZ`, what normalizeEvent writes (toISOString). */
function isCanonical(t: string): boolean {
  return (
    t.length === 24 &&
    t.charCodeAt(23) === 90 && // Z
    t.charCodeAt(10) === 84 && // T
    t.charCodeAt(4) === 45 &&
    t.charCodeAt(7) === 45 &&
    t.charCodeAt(13) === 58 &&
    t.charCodeAt(16) === 58 &&
    t.charCodeAt(19) === 46
  );
}

/**
 * Microseconds since the epoch of an ISO-8601 time (what normalizeEvent
 * writes), keeping sub-millisecond digits; undefined when it is not one.
 * Without a zone the time is UTC, as DuckDB's cast to TIMESTAMPTZ reads it.
 * A number, not a bigint: exact up to the year 2255, and every file holds
 * four of these per event (this was the encoder's largest cost as a bigint
 * parsed with a regular expression).
 */
export function timestampMicros(text: string): number | undefined {
  if (isCanonical(text)) {
    const ms = Date.parse(text);
    if (Number.isNaN(ms)) return undefined;
    // Date.parse rolls over (Feb 30 → Mar 2): check the day when it could.
    const day = (text.charCodeAt(8) - 48) * 10 + text.charCodeAt(9) - 48;
    if (day > 28 && new Date(ms).getUTCDate() !== day) return undefined;
    return ms * 1000;
  }
  return generalMicros(text);
}

function generalMicros(text: string): number | undefined {
  const m = ISO.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0));
  // Date.UTC rolls over too: refuse what is not a real time.
  const back = new Date(ms);
  if (Number.isNaN(ms) || back.getUTCDate() !== Number(d) || back.getUTCHours() !== Number(h))
    return undefined;
  let offsetMinutes = 0;
  if (zone && zone.toUpperCase() !== 'Z') {
    const digits = zone.replace(':', '');
    offsetMinutes =
      (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5) || 0)) * (zone[0] === '-' ? -1 : 1);
  }
  const micros = frac ? Number(frac.padEnd(6, '0').slice(0, 6)) : 0;
  return (ms - offsetMinutes * 60_000) * 1000 + micros;
}

/**
 * One Parquet file of the columns, or the rows whose time cannot be stored
 * (then nothing is written: the caller dead-letters those and retries).
 */
export function writeParquet(columns: Columns): { file: Uint8Array } | { rejected: Rejection[] } {
  const rejected = new Map<number, Rejection>();
  const columnData = columns.map((values, c) => {
    if (!IS_TIMESTAMP[c]) return { name: NAMES[c]!, data: values };
    const data = new Array<number | null>(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v === null || v === undefined) {
        data[i] = null;
        continue;
      }
      const micros = timestampMicros(v);
      if (micros === undefined && !rejected.has(i)) {
        rejected.set(i, {
          index: i,
          reason: { code: 'invalid_timestamp', message: 'a time field cannot be stored as a timestamp' },
        });
      }
      data[i] = micros ?? null;
    }
    return { name: NAMES[c]!, data };
  });
  if (rejected.size > 0) return { rejected: [...rejected.values()].sort((a, b) => a.index - b.index) };
  const rows = columns[0]?.length ?? 0;
  const buffer = parquetWriteBuffer({
    columnData,
    schema: SCHEMA,
    codec: 'ZSTD',
    compressors: { ZSTD: zstd },
    // BigQuery and the loader's DuckDB read whole files: statistics only cost time.
    statistics: false,
    rowGroupSize: Math.max(1, rows),
  });
  return { file: new Uint8Array(buffer) };
}
