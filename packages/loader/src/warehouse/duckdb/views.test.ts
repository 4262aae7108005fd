// The Segment-shaped views in DuckDB: what an analyst's query over them returns.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileObjectStore } from '@eventkit/shared/local';
import { afterAll, describe, test } from 'vitest';
import { putEventFile, type RowInput } from '../../testing/fixtures.ts';
import {
  MAX_EVENT_VIEWS,
  MAX_NAME_LENGTH,
  MAX_PROPERTY_COLUMNS,
  PROFILE_DAYS,
  PROFILE_EVENT_NAMES,
  snakeCase,
} from '../views/segment-schema.ts';
import { withDuckDb } from './duckdb-file.ts';
import { DuckDbWarehouse } from './duckdb-warehouse.ts';
import { duckDbDialect } from './views.ts';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

const recent = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();
let seq = 0;

async function warehouseWith(rows: Omit<RowInput, 'message_id'>[]) {
  const dir = await mkdtemp(join(tmpdir(), 'eventkit-views-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const store = new FileObjectStore(join(dir, 'data'));
  const warehouse = new DuckDbWarehouse({
    path: join(dir, 'w.duckdb'),
    dataset: 'events',
    table: 'raw_events',
  });
  await warehouse.ensureTables();
  const full = rows.map((r) => ({ message_id: `m${++seq}`, received_at: recent(5), ...r }));
  const info = await putEventFile(store, full);
  await warehouse.load({
    id: `events_views_${seq}`,
    table: 'events',
    files: [{ key: info.key, uri: info.uri, size: info.size }],
    dedupWindowDays: 7,
  });
  const sql = (q: string) =>
    withDuckDb(warehouse.path, { readOnly: true }, async (c) =>
      (await c.runAndReadAll(q)).getRowObjectsJson(),
    );
  const columns = async (view: string) =>
    (
      await sql(
        `SELECT column_name FROM information_schema.columns WHERE table_schema = 'events' AND table_name = '${view}' ORDER BY ordinal_position`,
      )
    ).map((r) => String(r.column_name));
  const run = (q: string) => withDuckDb(warehouse.path, {}, (c) => c.run(q));
  return { warehouse, sql, columns, run };
}

const ctx = JSON.stringify({
  ip: '203.0.113.9',
  userAgent: 'Mozilla/5.0',
  library: { name: 'analytics.js', version: '5.2.0' },
  page: { url: 'https://shop.example/cart', path: '/cart' },
});

describe('Segment-shaped views in DuckDB', () => {
  test('one view per call type, with Segment column names, context flattened, traits and properties as columns', async () => {
    const w = await warehouseWith([
      {
        type: 'track',
        event: 'Order Completed',
        user_id: 'u1',
        context: ctx,
        properties: '{"revenue":42.5}',
      },
      {
        type: 'identify',
        event: null,
        user_id: 'u1',
        traits: '{"email":"a@example.com","plan":"pro"}',
        properties: null,
      },
      {
        type: 'page',
        event: null,
        name: 'Cart',
        properties: '{"title":"Your cart","url":"https://shop.example/cart"}',
      },
      { type: 'screen', event: null, name: 'Home', properties: '{"variant":"b"}' },
      {
        type: 'group',
        event: null,
        group_id: 'g1',
        traits: '{"employees":12,"address":{"city":"Oslo"}}',
        properties: null,
      },
      { type: 'alias', event: null, user_id: 'u1', previous_id: 'anon-1', properties: null },
    ]);
    const report = await w.warehouse.refreshViews();
    assert.deepEqual(
      report.views.map((v) => v.name),
      ['tracks', 'identifies', 'users', 'pages', 'screens', 'groups', 'aliases', 'order_completed'],
    );
    const [track] = await w.sql(
      'SELECT id, user_id, event, event_text, context_ip, context_user_agent, context_library_name, context_library_version, context_page_url, context_page_path, uuid_ts IS NOT NULL AS loaded FROM events.tracks',
    );
    assert.deepEqual(track, {
      id: `m${seq - 5}`,
      user_id: 'u1',
      event: 'order_completed',
      event_text: 'Order Completed',
      context_ip: '203.0.113.9',
      context_user_agent: 'Mozilla/5.0',
      context_library_name: 'analytics.js',
      context_library_version: '5.2.0',
      context_page_url: 'https://shop.example/cart',
      context_page_path: '/cart',
      loaded: true,
    });
    assert.ok(!(await w.columns('tracks')).includes('revenue'), 'tracks has no properties, as in Segment');
    assert.deepEqual(await w.sql('SELECT user_id, email, plan FROM events.identifies'), [
      { user_id: 'u1', email: 'a@example.com', plan: 'pro' },
    ]);
    assert.deepEqual(await w.sql('SELECT name, title, url FROM events.pages'), [
      { name: 'Cart', title: 'Your cart', url: 'https://shop.example/cart' },
    ]);
    assert.deepEqual(await w.sql('SELECT name, variant FROM events.screens'), [
      { name: 'Home', variant: 'b' },
    ]);
    // A nested object is no scalar: NULL, as BigQuery's JSON_VALUE gives it; a number is a number.
    assert.deepEqual(await w.sql('SELECT group_id, employees, address FROM events.groups'), [
      { group_id: 'g1', employees: 12, address: null },
    ]);
    assert.deepEqual(await w.sql('SELECT user_id, previous_id FROM events.aliases'), [
      { user_id: 'u1', previous_id: 'anon-1' },
    ]);
  });

  test('users: one row per user id, each trait its latest non-null value', async () => {
    const w = await warehouseWith([
      {
        type: 'identify',
        user_id: 'u1',
        timestamp: recent(30),
        traits: '{"email":"old@example.com","plan":"free"}',
      },
      { type: 'identify', user_id: 'u1', timestamp: recent(10), traits: '{"plan":"pro"}' },
      // A trait named like a column the view needs (timestamp) is no column.
      {
        type: 'identify',
        user_id: 'u2',
        timestamp: recent(10),
        traits: '{"email":"b@example.com","timestamp":"x"}',
      },
      { type: 'identify', user_id: null, anonymous_id: 'anon-9', traits: '{"email":"anon@example.com"}' },
    ]);
    await w.warehouse.refreshViews();
    assert.deepEqual(await w.columns('users'), ['id', 'received_at', 'email', 'plan']);
    assert.deepEqual(await w.sql('SELECT id, email, plan FROM events.users ORDER BY id'), [
      { id: 'u1', email: 'old@example.com', plan: 'pro' },
      { id: 'u2', email: 'b@example.com', plan: null },
    ]);
  });

  test('event views: snake_case names, shared by names that give the same one; invalid and taken names have none', async () => {
    const w = await warehouseWith([
      {
        event: 'Order Completed',
        properties: '{"revenue":"10","currency":"EUR","user_id":"spoof"}',
        user_id: 'u1',
      },
      { event: 'orderCompleted', properties: '{"revenue":"20","Coupon Code":"X1"}', user_id: 'u2' },
      { event: '1st Purchase', properties: '{}' },
      { event: '🎉', properties: '{}' },
      { event: 'Tracks', properties: '{}' },
      { event: 'raw events', properties: '{}' },
    ]);
    const report = await w.warehouse.refreshViews();
    const events = report.views.filter((v) => v.kind === 'event');
    assert.deepEqual(
      events.map((v) => [v.name, v.events]),
      [
        ['order_completed', ['Order Completed', 'orderCompleted']],
        ['_1st_purchase', ['1st Purchase']],
      ],
    );
    assert.deepEqual(new Set(report.skipped.map((s) => s.name)), new Set(['🎉', 'Tracks', 'raw events']));
    // A property named like a standard column is dropped: user_id is the caller's.
    assert.deepEqual(
      await w.sql(
        'SELECT user_id, event, event_text, revenue, currency, coupon_code FROM events.order_completed ORDER BY revenue',
      ),
      [
        {
          user_id: 'u1',
          event: 'order_completed',
          event_text: 'Order Completed',
          revenue: '10',
          currency: 'EUR',
          coupon_code: null,
        },
        {
          user_id: 'u2',
          event: 'order_completed',
          event_text: 'orderCompleted',
          revenue: '20',
          currency: null,
          coupon_code: 'X1',
        },
      ],
    );
    assert.deepEqual(await w.sql('SELECT count(*)::INT AS n FROM events._1st_purchase'), [{ n: 1 }]);
  });

  test('the SQL snake_case of the tracks view is the one that names the views', async () => {
    const names = [
      'Order Completed',
      'orderCompleted',
      'HTMLParser  x!',
      '  a--b__c ',
      'Café Visited',
      'v2Signup',
      'aB1C',
    ];
    const w = await warehouseWith([]);
    const d = duckDbDialect('events');
    const values = names.map((n) => `(${d.str(n)})`).join(', ');
    const rows = await w.sql(`SELECT n, ${d.snake('n')} AS s FROM (VALUES ${values}) AS t(n)`);
    assert.deepEqual(
      rows.map((r) => r.s),
      names.map(snakeCase),
    );
    assert.equal(snakeCase('HTMLParser  x!'), 'htmlparser_x');
  });

  test(`at most ${MAX_EVENT_VIEWS} event views: at the cap all, one over the least frequent is skipped`, async () => {
    const names = (n: number) => Array.from({ length: n }, (_, i) => `Event ${String(i).padStart(3, '0')}`);
    const atCap = await warehouseWith(names(MAX_EVENT_VIEWS).map((event) => ({ event })));
    const at = await atCap.warehouse.refreshViews();
    assert.equal(at.views.filter((v) => v.kind === 'event').length, MAX_EVENT_VIEWS);
    assert.deepEqual(at.skipped, []);

    // One name more, seen once; every other twice: the rare one has no view.
    const over = names(MAX_EVENT_VIEWS + 1);
    const rare = over.at(-1)!;
    const overCap = await warehouseWith([
      ...over.map((event) => ({ event })),
      ...over.slice(0, -1).map((event) => ({ event })),
    ]);
    const report = await overCap.warehouse.refreshViews();
    const views = report.views.filter((v) => v.kind === 'event').map((v) => v.name);
    assert.equal(views.length, MAX_EVENT_VIEWS);
    assert.ok(!views.includes(snakeCase(rare)));
    assert.deepEqual(
      report.skipped.map((s) => s.name),
      [snakeCase(rare)],
    );
    await assert.rejects(overCap.sql(`SELECT * FROM events.${snakeCase(rare)}`), /does not exist/);
  });

  test(`at most ${MAX_PROPERTY_COLUMNS} property columns a view: at the cap all, one over the least frequent is left out`, async () => {
    const props = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i}`, i]));
    const fixed = (
      await (await warehouseWith([{ event: 'Fixed', properties: '{}' }])).warehouse.refreshViews()
    ).views.find((v) => v.name === 'fixed')!.columns.length;

    const atCap = await warehouseWith([
      { event: 'Wide', properties: JSON.stringify(props(MAX_PROPERTY_COLUMNS)) },
    ]);
    await atCap.warehouse.refreshViews();
    assert.equal((await atCap.columns('wide')).length, fixed + MAX_PROPERTY_COLUMNS);

    // p50 appears in one event of two, every other key in both: p50 is the one left out.
    const overCap = await warehouseWith([
      { event: 'Wide', properties: JSON.stringify(props(MAX_PROPERTY_COLUMNS + 1)) },
      { event: 'Wide', properties: JSON.stringify(props(MAX_PROPERTY_COLUMNS)) },
    ]);
    await overCap.warehouse.refreshViews();
    const columns = await overCap.columns('wide');
    assert.equal(columns.length, fixed + MAX_PROPERTY_COLUMNS);
    assert.ok(
      columns.includes(`p${MAX_PROPERTY_COLUMNS - 1}`) && !columns.includes(`p${MAX_PROPERTY_COLUMNS}`),
    );
  });

  test('a refresh replaces only views whose definition is not the known one; a table of a view name keeps its place and the view is reported skipped', async () => {
    const w = await warehouseWith([{ event: 'Signed Up' }, { event: 'Logged In' }]);
    await w.run('CREATE TABLE events.logged_in (x INTEGER)');
    const first = await w.warehouse.refreshViews();
    assert.ok(first.views.every((v) => v.changed));
    assert.ok(first.skipped.some((s) => s.name === 'Logged In'));
    assert.deepEqual(await w.sql('SELECT event_text FROM events.signed_up'), [{ event_text: 'Signed Up' }]);
    // Told what exists (the first report's definitions): nothing to replace.
    const second = await w.warehouse.refreshViews(new Map(first.views.map((v) => [v.name, v.definition])));
    assert.deepEqual(
      second.views.filter((v) => v.changed).map((v) => v.name),
      [],
    );
    assert.deepEqual(await w.sql('SELECT count(*)::INT AS n FROM events.logged_in'), [{ n: 0 }]);
  });

  test(`the profile counts the last ${PROFILE_DAYS} days: an event name seen just inside has a view, one seen just before none`, async () => {
    const day = 24 * 60;
    const w = await warehouseWith([
      { event: 'Inside', received_at: recent(PROFILE_DAYS * day - 10) },
      { event: 'Outside', received_at: recent(PROFILE_DAYS * day + 10) },
    ]);
    const names = (await w.warehouse.refreshViews()).views.map((v) => v.name);
    assert.ok(names.includes('inside'));
    assert.ok(!names.includes('outside'));
    assert.deepEqual(
      await w.sql('SELECT count(*)::INT AS n FROM events.tracks'),
      [{ n: 2 }],
      'the views show every row',
    );
  });

  test(`the profile reads the ${PROFILE_EVENT_NAMES} most frequent names: at the limit each is listed, one over the rarest is not considered`, async () => {
    const names = (n: number) => Array.from({ length: n }, (_, i) => `Name ${String(i).padStart(4, '0')}`);
    const atLimit = await warehouseWith(
      names(PROFILE_EVENT_NAMES).map((event) => ({ event, properties: '{}' })),
    );
    const at = await atLimit.warehouse.refreshViews();
    assert.equal(at.skipped.length, PROFILE_EVENT_NAMES - MAX_EVENT_VIEWS);

    const over = names(PROFILE_EVENT_NAMES + 1);
    const overLimit = await warehouseWith([
      ...over.map((event) => ({ event, properties: '{}' })),
      ...over.slice(0, -1).map((event) => ({ event, properties: '{}' })),
    ]);
    const report = await overLimit.warehouse.refreshViews();
    assert.equal(report.skipped.length, PROFILE_EVENT_NAMES - MAX_EVENT_VIEWS);
    assert.ok(!report.skipped.some((s) => s.name === snakeCase(over.at(-1)!)));
  });

  test(`view names are cut at ${MAX_NAME_LENGTH} characters: at the limit whole, one over cut`, async () => {
    const atLimit = 'a'.repeat(MAX_NAME_LENGTH);
    const overLimit = `b${'c'.repeat(MAX_NAME_LENGTH)}`;
    const w = await warehouseWith([{ event: atLimit }, { event: overLimit }]);
    const names = (await w.warehouse.refreshViews()).views.map((v) => v.name);
    assert.ok(names.includes(atLimit));
    assert.ok(names.includes(overLimit.slice(0, MAX_NAME_LENGTH)));
    assert.deepEqual(await w.sql(`SELECT event_text FROM events.${overLimit.slice(0, MAX_NAME_LENGTH)}`), [
      { event_text: overLimit },
    ]);
  });
});
