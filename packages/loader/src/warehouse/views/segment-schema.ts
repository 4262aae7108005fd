// The Segment warehouse schema the views reproduce, and their bounds.
//
// Mapping against Segment's "Warehouse Schemas" page
// (https://segment.com/docs/connections/storage/warehouses/schema/, now
// https://www.twilio.com/docs/segment/connections/storage/warehouses/schema):
// - `tracks`: the standard columns of every call (id, anonymous_id, user_id,
//   the four times, uuid_ts, context_*) plus `event` (the name in snake_case)
//   and `event_text` (the name as sent); no properties;
// - `identifies`: the traits as columns; `groups`: group_id and the traits;
//   `pages` and `screens`: name and the properties; `aliases`: previous_id;
// - `users`: one row per user_id with its latest traits (`id` is the user id);
// - one table per track event name, snake_case, with its properties as columns;
// - a property or trait whose column name is a standard column is dropped
//   ("properties with the same name as a reserved column name … are discarded").
// Segment flattens every context field; the views flatten the fixed list
// below (the spec's common fields), so a view's width never depends on data.
/** Event-name views at most (the most frequent names first). */
export const MAX_EVENT_VIEWS = 100;
/** Property (or trait) columns per view at most (the most frequent keys first). */
export const MAX_PROPERTY_COLUMNS = 50;
/** Distinct event names the profile reads (most frequent first) before they are merged by view name. */
export const PROFILE_EVENT_NAMES = 1_000;
/** Days of events (by received_at) the profile reads: recent names and keys decide the views. */
export const PROFILE_DAYS = 7;
/** Longest view or column name; longer snake_case names are cut here. */
export const MAX_NAME_LENGTH = 128;

export type CallType = 'track' | 'identify' | 'page' | 'screen' | 'group' | 'alias';

/** The call-type views, by Segment's table name. */
export const CALL_VIEWS: readonly { view: string; type: CallType; json?: 'properties' | 'traits' }[] = [
  { view: 'tracks', type: 'track' },
  { view: 'identifies', type: 'identify', json: 'traits' },
  { view: 'pages', type: 'page', json: 'properties' },
  { view: 'screens', type: 'screen', json: 'properties' },
  { view: 'groups', type: 'group', json: 'traits' },
  { view: 'aliases', type: 'alias' },
];
export const USERS_VIEW = 'users';

/**
 * The SQL type of a JSON column other than text: FLOAT64/DOUBLE for `number`,
 * BOOL/BOOLEAN for `boolean` (render.ts). Every JSON number is a `number`, the
 * integers too: JSON_TYPE and json_type name no integer kind the two engines
 * share, and a column profiled as integers that later gets 9.99 would turn
 * that value into NULL under INT64; FLOAT64 holds integers exactly up to 2^53
 * and `sum()` works on it, which is what a model written for Segment needs.
 */
export type ValueType = 'number' | 'boolean';

/**
 * A view column: from an events-table column, a JSON path, or the snake_case of
 * `event`. A JSON column without `as` is text (the scalar as a string, NULL for
 * objects, arrays and JSON null); with `as`, that text cast to the type, NULL
 * where it does not fit.
 */
export type Source =
  | { kind: 'column'; column: string }
  | { kind: 'json'; column: 'context' | 'properties' | 'traits'; path: readonly string[]; as?: ValueType }
  | { kind: 'snake_event' };

export interface ViewColumn {
  name: string;
  source: Source;
}

const col = (name: string, column = name): ViewColumn => ({ name, source: { kind: 'column', column } });

/** The context fields every view has, as `context_<snake path>` (Segment's flattening). */
const CONTEXT_PATHS: readonly (readonly string[])[] = [
  ['ip'],
  ['userAgent'],
  ['locale'],
  ['timezone'],
  ['library', 'name'],
  ['library', 'version'],
  ['page', 'path'],
  ['page', 'referrer'],
  ['page', 'search'],
  ['page', 'title'],
  ['page', 'url'],
  ['campaign', 'name'],
  ['campaign', 'source'],
  ['campaign', 'medium'],
  ['campaign', 'term'],
  ['campaign', 'content'],
  ['app', 'name'],
  ['app', 'version'],
  ['app', 'build'],
  ['app', 'namespace'],
  ['device', 'id'],
  ['device', 'manufacturer'],
  ['device', 'model'],
  ['device', 'name'],
  ['device', 'type'],
  ['os', 'name'],
  ['os', 'version'],
  ['screen', 'width'],
  ['screen', 'height'],
  ['network', 'carrier'],
];

/** Context fields the spec defines as numbers (pixels): typed without profiling, the others are text. */
const NUMERIC_CONTEXT = new Set(['screen.width', 'screen.height']);

const CONTEXT_COLUMNS: ViewColumn[] = CONTEXT_PATHS.map((path) => ({
  name: `context_${path.map(snakeCase).join('_')}`,
  source: {
    kind: 'json',
    column: 'context',
    path,
    ...(NUMERIC_CONTEXT.has(path.join('.')) ? { as: 'number' as const } : {}),
  },
}));

/** What every call's row has (Segment's standard columns; uuid_ts: when the row was loaded). */
const STANDARD_COLUMNS: ViewColumn[] = [
  col('id', 'message_id'),
  col('anonymous_id'),
  col('user_id'),
  col('received_at'),
  col('sent_at'),
  col('timestamp'),
  col('original_timestamp'),
  col('uuid_ts', 'loaded_at'),
  ...CONTEXT_COLUMNS,
];

const EVENT_COLUMNS: ViewColumn[] = [
  { name: 'event', source: { kind: 'snake_event' } },
  col('event_text', 'event'),
];

/** The fixed columns of a call-type or event view, before its properties or traits. */
export function fixedColumns(type: CallType): ViewColumn[] {
  switch (type) {
    case 'track':
      return [...STANDARD_COLUMNS, ...EVENT_COLUMNS];
    case 'page':
    case 'screen':
      return [...STANDARD_COLUMNS, col('name')];
    case 'group':
      return [...STANDARD_COLUMNS, col('group_id')];
    case 'alias':
      return [...STANDARD_COLUMNS, col('previous_id')];
    case 'identify':
      return STANDARD_COLUMNS;
  }
}

/** The fixed columns of `users` (trait columns follow). */
export const USERS_FIXED = ['id', 'received_at'];

/**
 * snake_case as the views spell names: a `_` between a lower-case letter or
 * digit and an upper-case letter, every run of characters other than ASCII
 * letters and digits one `_`, no `_` at either end, lower case. "Order
 * Completed" and "orderCompleted" → order_completed. The SQL in render.ts
 * computes the same for the `event` column (tested against both engines).
 * Segment uses go-snakecase, which also splits acronyms ("HTMLParser" →
 * html_parser; here htmlparser).
 */
export function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toLowerCase();
}

/**
 * The view or column name of an event name or a JSON key, or undefined when it
 * has no letter or digit. A name starting with a digit gets a leading `_` (an
 * identifier cannot start with one); names are cut at MAX_NAME_LENGTH.
 */
export function identifierFor(name: string): string | undefined {
  const snake = snakeCase(name);
  if (snake === '') return undefined;
  return (/^[0-9]/.test(snake) ? `_${snake}` : snake).slice(0, MAX_NAME_LENGTH);
}

/**
 * JSON keys the views read as columns: the ones both engines' JSON paths can
 * name inside double quotes without escaping.
 */
export const isReadableKey = (key: string): boolean => key !== '' && !/["'\\\p{Cc}]/u.test(key);
