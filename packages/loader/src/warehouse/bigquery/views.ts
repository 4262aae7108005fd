// The Segment-shaped views in BigQuery, in the events table's dataset, each
// by a `CREATE OR REPLACE VIEW` query job (run in the dataset's location like
// every job of the warehouse). views/segment-schema.ts says what they hold.
//
// A view cannot reference query parameters
// (https://cloud.google.com/bigquery/docs/views-intro#view_limitations), so
// the event names of an event view are inlined as string literals; the
// profile queries use parameters as every other query of the warehouse.
import type { TableNames } from '../tables.ts';
import type { Profile } from '../views/plan.ts';
import { refreshViews } from '../views/refresh.ts';
import { type Dialect, eventNamesSql, jsonKeysSql } from '../views/render.ts';
import { MAX_PROPERTY_COLUMNS, PROFILE_DAYS, PROFILE_EVENT_NAMES } from '../views/segment-schema.ts';
import type { ViewsReport } from '../views/types.ts';
import { type QueryParameter, stringArrayParam, timestampParam } from './params.ts';
import { keysTableName } from './schema.ts';

/** A GoogleSQL string literal: backslash escapes (https://cloud.google.com/bigquery/docs/reference/standard-sql/lexical#string_and_bytes_literals). */
export const bqString = (s: string): string =>
  `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'").replaceAll('\n', '\\n').replaceAll('\r', '\\r')}'`;

const bqIdent = (name: string) => `\`${name}\``;

export const bigQueryDialect = (projectId: string, dataset: string): Dialect => ({
  table: (name) => `\`${projectId}.${dataset}.${name}\``,
  ident: bqIdent,
  str: bqString,
  jsonValue: (column, path) => `JSON_VALUE(${column}, ${bqString(path)})`,
  // SAFE_CAST: NULL instead of an error where the text does not fit
  // (https://cloud.google.com/bigquery/docs/reference/standard-sql/conversion_functions#safe_casting).
  cast: (text, type) => `SAFE_CAST(${text} AS ${type === 'number' ? 'FLOAT64' : 'BOOL'})`,
  // The JSON subscript with a STRING key: the field's value, whose JSON_TYPE names it.
  jsonType: (json, key) => `JSON_TYPE(${json}[${key}])`,
  // Raw strings: the backslashes are the regular expression's.
  snake: (e) =>
    `LOWER(TRIM(REGEXP_REPLACE(REGEXP_REPLACE(${e}, r'([a-z0-9])([A-Z])', r'\\1_\\2'), r'[^A-Za-z0-9]+', '_'), '_'))`,
  latestNonNull: (x, order) => `ARRAY_AGG(${x} IGNORE NULLS ORDER BY ${order} DESC LIMIT 1)[SAFE_OFFSET(0)]`,
  // JSON_KEYS with max_depth 1: the top-level keys only (without it, nested keys too, as `a.b`).
  jsonKeysJoin: (expr, alias) => `UNNEST(JSON_KEYS(${expr}, 1)) AS ${alias}`,
});

export type RunQuery = <T>(sql: string, params: QueryParameter[]) => Promise<T[]>;

/** The views' refresh (views/refresh.ts) through `query` (a query job in the dataset's location). */
export function refreshBigQueryViews(
  query: RunQuery,
  projectId: string,
  names: TableNames,
  known: ReadonlyMap<string, string> | undefined,
  now: Date,
): Promise<ViewsReport> {
  const d = bigQueryDialect(projectId, names.dataset);
  const since = timestampParam('since', new Date(now.getTime() - PROFILE_DAYS * 86_400_000));
  return refreshViews(
    {
      dialect: d,
      events: names.events,
      // The loader's own tables; any other table of a view's name makes its CREATE fail (reported).
      taken: new Set([
        names.events,
        names.errors,
        names.ledger,
        keysTableName(names.events),
        keysTableName(names.errors),
      ]),
      eventNames: async () =>
        (
          await query<{ event: string; n: number }>(
            eventNamesSql(d, names.events, '@since', PROFILE_EVENT_NAMES),
            [since],
          )
        ).map((r) => ({ event: String(r.event), n: Number(r.n) })),
      jsonKeys: async (events) =>
        (
          await query<Profile['keys'][number]>(
            // Twice the cap per event name: keys dropped as reserved or duplicate names leave room.
            jsonKeysSql(d, names.events, '@since', 'UNNEST(@names)', 2 * MAX_PROPERTY_COLUMNS),
            [since, stringArrayParam('names', events)],
          )
        ).map((r) => ({
          ...r,
          event: r.event ?? null,
          n: Number(r.n),
          numbers: Number(r.numbers),
          booleans: Number(r.booleans),
          nulls: Number(r.nulls),
        })),
      execute: async (sql) => void (await query(sql, [])),
      // DDL jobs take about a second each; views are distinct tables, so a few at once do not contend.
      parallel: 4,
    },
    known,
  );
}
