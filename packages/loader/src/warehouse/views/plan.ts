// Which views to keep and their columns, from a profile of the recent events:
// the track event names and the JSON keys per call type, with their counts.
// Plain TypeScript, the same for both warehouses (render.ts writes the SQL).
import {
  CALL_VIEWS,
  type CallType,
  fixedColumns,
  identifierFor,
  isReadableKey,
  MAX_EVENT_VIEWS,
  MAX_PROPERTY_COLUMNS,
  USERS_FIXED,
  USERS_VIEW,
  type ValueType,
  type ViewColumn,
} from './segment-schema.ts';

export interface Profile {
  /** Track event names (as sent) in the profile window, with how many events. */
  events: { event: string; n: number }[];
  /**
   * Top-level JSON keys (properties; traits for identify and group) per type and
   * track event name: in how many events, and how many of those values are
   * JSON numbers, booleans and nulls (JSON_TYPE / json_type).
   */
  keys: {
    type: CallType;
    event: string | null;
    key: string;
    n: number;
    numbers: number;
    booleans: number;
    nulls: number;
  }[];
}

export interface ViewDef {
  name: string;
  kind: 'call' | 'event';
  type: CallType;
  /** Event views: the event names whose rows it shows. */
  events?: string[];
  json?: 'properties' | 'traits';
  columns: ViewColumn[];
}

export interface ViewPlan {
  views: ViewDef[];
  /** The trait columns of `users` (from identify traits). */
  userTraits: ViewColumn[];
  skipped: { name: string; reason: string }[];
}

/**
 * The views for `profile`. `taken`: names of tables in the dataset that are no
 * view of ours (the loader's tables): an event whose view name is one of them,
 * or a call view's, has no view.
 */
export function planViews(profile: Profile, taken: ReadonlySet<string>): ViewPlan {
  const reserved = new Set([...taken, ...CALL_VIEWS.map((c) => c.view), USERS_VIEW]);
  const skipped: ViewPlan['skipped'] = [];
  const keysOf = (type: CallType, events?: readonly string[]) =>
    profile.keys.filter(
      (k) => k.type === type && (!events || (k.event !== null && events.includes(k.event))),
    );

  const views: ViewDef[] = CALL_VIEWS.map(({ view, type, json }) => {
    const fixed = fixedColumns(type);
    return {
      name: view,
      kind: 'call' as const,
      type,
      ...(json ? { json } : {}),
      columns: json ? [...fixed, ...propertyColumns(keysOf(type), fixed, json)] : fixed,
    };
  });

  // Event names that give the same view name share it (Segment's table is named by the snake_case too).
  const byView = new Map<string, { events: string[]; n: number }>();
  for (const { event, n } of profile.events) {
    const name = identifierFor(event);
    if (name === undefined) {
      skipped.push({ name: event, reason: 'no letter or digit in the event name' });
      continue;
    }
    if (reserved.has(name)) {
      skipped.push({ name: event, reason: `its view name ${name} is taken by a table or a call-type view` });
      continue;
    }
    const entry = byView.get(name) ?? { events: [], n: 0 };
    entry.events.push(event);
    entry.n += n;
    byView.set(name, entry);
  }
  const ranked = [...byView].sort(([a, x], [b, y]) => y.n - x.n || (a < b ? -1 : 1));
  for (const [name, { events }] of ranked.slice(MAX_EVENT_VIEWS)) {
    skipped.push({
      name,
      reason: `beyond the ${MAX_EVENT_VIEWS} most frequent event views (events: ${events.join(', ')})`,
    });
  }
  const fixed = fixedColumns('track');
  for (const [name, { events }] of ranked.slice(0, MAX_EVENT_VIEWS)) {
    const sorted = [...events].sort();
    const props = propertyColumns(keysOf('track', sorted), fixed, 'properties');
    views.push({
      name,
      kind: 'event',
      type: 'track',
      events: sorted,
      json: 'properties',
      columns: [...fixed, ...props],
    });
  }
  // `timestamp` too: the users view orders the identifies by it under that name (render.ts).
  const usersFixed = [...USERS_FIXED, 'timestamp'].map(
    (name) => ({ name, source: { kind: 'column', column: name } }) as ViewColumn,
  );
  return { views, userTraits: propertyColumns(keysOf('identify'), usersFixed, 'traits'), skipped };
}

/**
 * The JSON keys as columns, the most frequent, at most MAX_PROPERTY_COLUMNS, in
 * name order (so a view's definition changes only when its set of columns does):
 * a key whose column name is a fixed column's is dropped (as Segment discards
 * properties named like its reserved columns), of two keys with the same
 * column name the more frequent wins, keys without a letter or digit or that a
 * JSON path cannot name plainly (quotes, backslashes) are left out.
 */
function propertyColumns(
  keys: Profile['keys'],
  fixed: readonly ViewColumn[],
  json: 'properties' | 'traits',
): ViewColumn[] {
  const counts = new Map<string, Counts>();
  for (const k of keys) {
    const c = counts.get(k.key) ?? { n: 0, numbers: 0, booleans: 0, nulls: 0 };
    counts.set(k.key, {
      n: c.n + k.n,
      numbers: c.numbers + k.numbers,
      booleans: c.booleans + k.booleans,
      nulls: c.nulls + k.nulls,
    });
  }
  const used = new Set(fixed.map((c) => c.name));
  const out: ViewColumn[] = [];
  for (const [key, c] of [...counts].sort(([a, x], [b, y]) => y.n - x.n || (a < b ? -1 : 1))) {
    if (out.length >= MAX_PROPERTY_COLUMNS) break;
    const name = identifierFor(key);
    if (name === undefined || !isReadableKey(key) || used.has(name)) continue;
    used.add(name);
    const as = valueType(c);
    out.push({ name, source: { kind: 'json', column: json, path: [key], ...(as ? { as } : {}) } });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : 1));
}

type Counts = Pick<Profile['keys'][number], 'n' | 'numbers' | 'booleans' | 'nulls'>;

/**
 * The column's type: the JSON type of more than half of the key's non-null
 * values when that is number or boolean; text otherwise (strings, mixed keys,
 * objects and arrays), as Segment types a column by its values.
 */
export function valueType({ n, numbers, booleans, nulls }: Counts): ValueType | undefined {
  const values = n - nulls;
  if (numbers * 2 > values) return 'number';
  if (booleans * 2 > values) return 'boolean';
  return undefined;
}
