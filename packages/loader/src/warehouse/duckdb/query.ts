// `eventkit-loader query`: one read-only SQL statement against the local
// warehouse, with results as plain JSON values. Opening read-only lets it run
// next to other readers; while a load holds the file it waits (withDuckDb).
import type { DuckDBResultReader } from '@duckdb/node-api';
import { type OpenOptions, withDuckDb } from './duckdb-file.ts';

export interface QueryResult {
  columns: string[];
  /** Each row's values as JSON would carry them (see `cell`). */
  rows: unknown[][];
}

export async function queryDuckDb(
  path: string,
  sql: string,
  options: OpenOptions = {},
): Promise<QueryResult> {
  return withDuckDb(path, { ...options, readOnly: true }, async (c) => toResult(await c.runAndReadAll(sql)));
}

const WIDE_INTEGER = /^(BIGINT|HUGEINT|UBIGINT|UHUGEINT)$/;

/**
 * Integers as numbers when exact (else as strings), timestamps as ISO-8601 UTC,
 * JSON columns as the values they hold, everything else in DuckDB's JSON form.
 */
function toResult(result: DuckDBResultReader): QueryResult {
  const types = result.columnTypes();
  const js = result.getRowsJS();
  const json = result.getRowsJson();
  const rows = json.map((row, r) =>
    row.map((value, i) => {
      const type = types[i];
      if (value === null || !type) return value;
      const name = type.toString();
      if (WIDE_INTEGER.test(name)) {
        const n = Number(value);
        return Number.isSafeInteger(n) ? n : String(value);
      }
      if (name.startsWith('TIMESTAMP')) {
        const d = js[r]?.[i];
        return d instanceof Date ? d.toISOString() : value;
      }
      if ((type as { alias?: string }).alias === 'JSON' && typeof value === 'string') {
        try {
          return JSON.parse(value);
        } catch {
          return value;
        }
      }
      return value;
    }),
  );
  return { columns: result.columnNames(), rows };
}
