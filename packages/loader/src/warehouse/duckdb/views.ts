// The Segment-shaped views in the DuckDB file, in the dataset's schema beside
// the events table (views/segment-schema.ts says what they hold).
import type { DuckDBConnection } from '@duckdb/node-api';
import type { TableNames } from '../tables.ts';
import type { Profile } from '../views/plan.ts';
import { refreshViews } from '../views/refresh.ts';
import { type Dialect, eventNamesSql, jsonKeysSql } from '../views/render.ts';
import { MAX_PROPERTY_COLUMNS, PROFILE_DAYS, PROFILE_EVENT_NAMES } from '../views/segment-schema.ts';
import type { ViewsReport } from '../views/types.ts';
import { ident, lit } from './duckdb-file.ts';

/** json_type's names → BigQuery's JSON_TYPE names (DuckDB names a number by its kind). */
const JSON_TYPE_NAMES: Record<string, string> = {
  OBJECT: 'object',
  ARRAY: 'array',
  VARCHAR: 'string',
  BOOLEAN: 'boolean',
  NULL: 'null',
  BIGINT: 'number',
  UBIGINT: 'number',
  HUGEINT: 'number',
  UHUGEINT: 'number',
  DOUBLE: 'number',
};

export const duckDbDialect = (dataset: string): Dialect => ({
  table: (name) => `${ident(dataset)}.${ident(name)}`,
  ident,
  str: lit,
  // json_extract_string gives objects and arrays as JSON text; BigQuery's JSON_VALUE gives NULL.
  jsonValue: (column, path) =>
    `CASE WHEN json_type(${column}, ${lit(path)}) IN ('OBJECT', 'ARRAY') THEN NULL ELSE json_extract_string(${column}, ${lit(path)}) END`,
  // TRY_CAST: NULL where the text is no number. Booleans by hand: DuckDB's cast also takes 't', 'yes', '1'.
  cast: (text, type) =>
    type === 'number'
      ? `TRY_CAST(${text} AS DOUBLE)`
      : `CASE lower(${text}) WHEN 'true' THEN TRUE WHEN 'false' THEN FALSE END`,
  // The key as a quoted JSON path step (to_json escapes quotes); json_type names numbers by their kind.
  jsonType: (json, key) =>
    `CASE json_type(${json}, '$.' || to_json(${key})::VARCHAR) ${Object.entries(JSON_TYPE_NAMES)
      .map(([duck, bq]) => `WHEN '${duck}' THEN '${bq}'`)
      .join(' ')} END`,
  snake: (e) =>
    `lower(trim(regexp_replace(regexp_replace(${e}, '([a-z0-9])([A-Z])', '\\1_\\2', 'g'), '[^A-Za-z0-9]+', '_', 'g'), '_'))`,
  latestNonNull: (x, order) => `arg_max(${x}, ${order}) FILTER (WHERE ${x} IS NOT NULL)`,
  jsonKeysJoin: (expr, alias) => `unnest(json_keys(${expr})) AS u(${ident(alias)})`,
});

/** The views' refresh (views/refresh.ts) over an open connection to the file. */
export async function refreshDuckDbViews(
  c: DuckDBConnection,
  names: TableNames,
  known: ReadonlyMap<string, string> | undefined,
  now: Date,
): Promise<ViewsReport> {
  const d = duckDbDialect(names.dataset);
  const since = `TIMESTAMPTZ ${lit(new Date(now.getTime() - PROFILE_DAYS * 86_400_000).toISOString())}`;
  const read = async (sql: string) => (await c.runAndReadAll(sql)).getRowObjectsJS();
  // Every table of the schema: the loader's and any other; a view never replaces one.
  const tables = await read(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = ${lit(names.dataset)} AND table_type = 'BASE TABLE'`,
  );
  return refreshViews(
    {
      dialect: d,
      events: names.events,
      taken: new Set(tables.map((r) => String(r.table_name))),
      eventNames: async () =>
        (await read(eventNamesSql(d, names.events, since, PROFILE_EVENT_NAMES))).map((r) => ({
          event: String(r.event),
          n: Number(r.n),
        })),
      jsonKeys: async (events) => {
        const list = events.length > 0 ? `(${events.map(lit).join(', ')})` : '(NULL)';
        // Twice the cap per event name: keys dropped as reserved or duplicate names leave room.
        const rows = await read(jsonKeysSql(d, names.events, since, list, 2 * MAX_PROPERTY_COLUMNS));
        return rows.map((r) => ({
          type: String(r.type) as Profile['keys'][number]['type'],
          event: r.event === null ? null : String(r.event),
          key: String(r.key),
          n: Number(r.n),
          numbers: Number(r.numbers),
          booleans: Number(r.booleans),
          nulls: Number(r.nulls),
        }));
      },
      execute: async (sql) => void (await c.run(sql)),
    },
    known,
  );
}
