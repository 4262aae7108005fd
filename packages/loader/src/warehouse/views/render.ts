// The views' SQL in either warehouse's dialect: the CREATE OR REPLACE VIEW
// statements and the two profile queries (event names, JSON keys).
import type { ViewDef, ViewPlan } from './plan.ts';
import { CALL_VIEWS, type Source, USERS_VIEW, type ValueType, type ViewColumn } from './segment-schema.ts';

export interface Dialect {
  /** A quoted name of an object of the dataset. */
  table(name: string): string;
  ident(name: string): string;
  /** A string literal. */
  str(s: string): string;
  /** The value at a JSON path as text: scalars only, NULL for objects, arrays and JSON null. */
  jsonValue(column: string, path: string): string;
  /**
   * A text expression as `type`, NULL (never an error) where the text does not
   * fit: a view that fails on one bad row fails every query over it. Booleans
   * are 'true' or 'false' in any case, as BigQuery casts STRING to BOOL.
   */
  cast(text: string, type: ValueType): string;
  /**
   * The JSON type, in BigQuery's JSON_TYPE names ('number', 'boolean',
   * 'string', 'object', 'array', 'null'), of the value of the top-level key
   * `key` (a text expression) of the JSON expression `json`.
   */
  jsonType(json: string, key: string): string;
  /** snakeCase (segment-schema.ts) of a text expression. */
  snake(expr: string): string;
  /** Aggregate: the value of `x` from the row with the greatest `order` among those where x is not NULL. */
  latestNonNull(x: string, order: string): string;
  /** Table function (FROM …, this): the top-level keys of a JSON expression, one row each, as `alias`. */
  jsonKeysJoin(expr: string, alias: string): string;
}

/** `$."a"."b"`: keys quoted, so dots and spaces in them stay part of the key. */
export const jsonPath = (path: readonly string[]): string => `$${path.map((k) => `."${k}"`).join('')}`;

function expression(d: Dialect, source: Source): string {
  switch (source.kind) {
    case 'column':
      return d.ident(source.column);
    case 'json': {
      const text = d.jsonValue(d.ident(source.column), jsonPath(source.path));
      return source.as ? d.cast(text, source.as) : text;
    }
    case 'snake_event':
      return d.snake(d.ident('event'));
  }
}

const selectList = (d: Dialect, columns: readonly ViewColumn[]) =>
  columns.map((c) => `  ${expression(d, c.source)} AS ${d.ident(c.name)}`).join(',\n');

/** The SELECT of a call-type or event view. */
export function viewSelect(d: Dialect, events: string, view: ViewDef): string {
  // Event views filter on the names as sent, not on their snake_case: `event` is a
  // clustering column of the events table, so BigQuery reads only those blocks.
  const filter =
    view.kind === 'event'
      ? `${d.ident('type')} = 'track' AND ${d.ident('event')} IN (${(view.events ?? []).map(d.str).join(', ')})`
      : `${d.ident('type')} = ${d.str(view.type)}`;
  return `SELECT\n${selectList(d, view.columns)}\nFROM ${d.table(events)}\nWHERE ${filter}`;
}

/**
 * `users`: one row per user_id of the identify calls, each trait its latest
 * non-NULL value (a trait an identify leaves out keeps its earlier value, as
 * Segment's upsert on user_id does), `received_at` the latest identify's.
 */
export function usersSelect(d: Dialect, events: string, traits: readonly ViewColumn[]): string {
  const at = d.ident('timestamp');
  const inner = [
    `  ${d.ident('user_id')} AS ${d.ident('id')}`,
    `  ${d.ident('received_at')}`,
    `  ${at}`,
    ...traits.map((c) => `  ${expression(d, c.source)} AS ${d.ident(c.name)}`),
  ].join(',\n');
  const outer = [
    `  ${d.ident('id')}`,
    `  MAX(${d.ident('received_at')}) AS ${d.ident('received_at')}`,
    ...traits.map((c) => `  ${d.latestNonNull(d.ident(c.name), at)} AS ${d.ident(c.name)}`),
  ].join(',\n');
  return `SELECT\n${outer}\nFROM (\nSELECT\n${inner}\nFROM ${d.table(events)}\nWHERE ${d.ident('type')} = 'identify' AND ${d.ident('user_id')} IS NOT NULL\n) AS i\nGROUP BY ${d.ident('id')}`;
}

/** Every view of the plan: name, kind, columns and its CREATE OR REPLACE VIEW. */
export interface ViewStatement {
  name: string;
  kind: 'call' | 'users' | 'event';
  columns: string[];
  events?: string[];
  sql: string;
}

export function viewStatements(d: Dialect, events: string, plan: ViewPlan): ViewStatement[] {
  const create = (name: string, select: string) => `CREATE OR REPLACE VIEW ${d.table(name)} AS\n${select}`;
  const out: ViewStatement[] = plan.views.map((v) => ({
    name: v.name,
    kind: v.kind,
    columns: v.columns.map((c) => c.name),
    ...(v.events ? { events: v.events } : {}),
    sql: create(v.name, viewSelect(d, events, v)),
  }));
  const users = {
    name: USERS_VIEW,
    kind: 'users' as const,
    columns: ['id', 'received_at', ...plan.userTraits.map((c) => c.name)],
    sql: create(USERS_VIEW, usersSelect(d, events, plan.userTraits)),
  };
  // users after identifies, as in Segment's schema list; order matters only for reading.
  const at = out.findIndex((v) => v.name === CALL_VIEWS[1]!.view) + 1;
  out.splice(at, 0, users);
  return out;
}

/** The profile's event names: the most frequent `limit` track event names since `since`. */
export function eventNamesSql(d: Dialect, events: string, since: string, limit: number): string {
  const e = d.ident('event');
  return `SELECT ${e} AS event, COUNT(*) AS n FROM ${d.table(events)}
WHERE ${d.ident('received_at')} >= ${since} AND ${d.ident('type')} = 'track' AND ${e} IS NOT NULL
GROUP BY ${e} ORDER BY n DESC, ${e} LIMIT ${limit}`;
}

/**
 * The profile's JSON keys since `since`: per call type (and per track event
 * name among `names`), the `perView` most frequent top-level keys of the
 * properties (traits for identify and group), with how many of their values
 * are JSON numbers, booleans and nulls (plan.ts types the columns by them).
 */
export function jsonKeysSql(
  d: Dialect,
  events: string,
  since: string,
  names: string,
  perView: number,
): string {
  const type = d.ident('type');
  const json = `CASE WHEN ${type} IN ('identify', 'group') THEN ${d.ident('traits')} ELSE ${d.ident('properties')} END`;
  const event = `CASE WHEN ${type} = 'track' THEN ${d.ident('event')} END`;
  const count = (t: string) => `SUM(CASE WHEN value_type = '${t}' THEN 1 ELSE 0 END)`;
  // WHERE TRUE: BigQuery accepts QUALIFY only beside a WHERE, GROUP BY or HAVING.
  return `SELECT type, event, property_key AS key, n, numbers, booleans, nulls FROM (
SELECT type, event, property_key, COUNT(*) AS n, ${count('number')} AS numbers, ${count('boolean')} AS booleans, ${count('null')} AS nulls
FROM (
SELECT ${type} AS type, ${event} AS event, property_key, ${d.jsonType(`(${json})`, 'property_key')} AS value_type
FROM ${d.table(events)} AS e, ${d.jsonKeysJoin(json, 'property_key')}
WHERE ${d.ident('received_at')} >= ${since}
  AND (${type} IN ('identify', 'page', 'screen', 'group') OR (${type} = 'track' AND ${d.ident('event')} IN ${names}))
) AS v
GROUP BY 1, 2, 3
) AS k
WHERE TRUE
QUALIFY ROW_NUMBER() OVER (PARTITION BY type, event ORDER BY n DESC, property_key) <= ${perView}`;
}
