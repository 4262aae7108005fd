// The Segment-shaped views in BigQuery: the real @google-cloud/bigquery client
// against the fake BigQuery (which runs the views' GoogleSQL translated to
// DuckDB, and refuses what BigQuery refuses in a view). What an analyst's query
// over the views returns, and the jobs that made them.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadFile } from '@eventkit/shared/ports';
import {
  type FakeBigQueryServer,
  type FakeGcsServer,
  startFakeBigQuery,
  startFakeGcs,
} from '@eventkit/testing';
import { BigQuery } from '@google-cloud/bigquery';
import { afterAll, beforeAll, beforeEach, describe, test } from 'vitest';
import { jobIdFor } from '../../core/grouping.ts';
import { eventKey, type RowInput, writeParquet } from '../../testing/fixtures.ts';
import { snakeCase } from '../views/segment-schema.ts';
import { BigQueryWarehouse } from './bigquery-warehouse.ts';
import { bigQueryDialect } from './views.ts';

const BUCKET = 'lake';
const DATASET = 'analytics';
const LOCATION = 'europe-west1';

let gcs: FakeGcsServer;
let bq: FakeBigQueryServer;
let dir: string;
let client: BigQuery;
let seq = 0;

beforeAll(async () => {
  gcs = await startFakeGcs();
  bq = await startFakeBigQuery({ gcs });
  dir = await mkdtemp(join(tmpdir(), 'eventkit-bq-views-'));
});
afterAll(async () => {
  await bq.close();
  await gcs.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  bq.reset();
  gcs.reset();
  gcs.createBucket(BUCKET);
  client = new BigQuery(bq.clientOptions({ fastRetries: true, location: LOCATION }));
});

const recent = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();

async function warehouseWith(rows: Omit<RowInput, 'message_id'>[]): Promise<BigQueryWarehouse> {
  const warehouse = new BigQueryWarehouse({
    client: new BigQuery(bq.clientOptions({ fastRetries: true })),
    dataset: DATASET,
    table: 'raw_events',
    location: LOCATION,
    pollIntervalMs: 1,
    maxPollIntervalMs: 2,
    sleep: async () => undefined,
  });
  await warehouse.ensureTables();
  if (rows.length === 0) return warehouse;
  const file = await eventFile(rows);
  await warehouse.load({
    id: jobIdFor('events', [file.key]),
    table: 'events',
    files: [file],
    dedupWindowDays: 7,
  });
  return warehouse;
}

/** The rows as a Parquet file in the bucket (received a few minutes ago). */
async function eventFile(rows: Omit<RowInput, 'message_id'>[]): Promise<LoadFile> {
  const path = join(dir, `${randomUUID()}.parquet`);
  await writeParquet(
    path,
    rows.map((r) => ({ message_id: `m${++seq}`, received_at: recent(5), ...r })),
  );
  const key = eventKey();
  const data = await readFile(path);
  gcs.putObject(BUCKET, key, data);
  return { key, uri: `gs://${BUCKET}/${key}`, size: data.length };
}

/** An analyst's query, through the client. */
const query = async (sql: string) => (await client.query({ query: sql, location: LOCATION }))[0];

const ctx = JSON.stringify({
  ip: '203.0.113.9',
  library: { name: 'analytics.js' },
  page: { url: 'https://x.example/' },
});

describe('Segment-shaped views in BigQuery (fake server)', () => {
  test('the views are CREATE OR REPLACE VIEW query jobs in the configured location, beside the events table', async () => {
    const w = await warehouseWith([{ event: 'Order Completed', properties: '{"revenue":"9.5"}' }]);
    const report = await w.refreshViews();
    const creates = bq.jobs().filter((j) => /^CREATE OR REPLACE VIEW/.test(j.sql ?? ''));
    assert.equal(creates.length, report.views.length);
    for (const job of creates) {
      assert.equal(job.reference.location, LOCATION);
      assert.match(job.sql ?? '', /^CREATE OR REPLACE VIEW `test-project\.analytics\.\w+` AS/);
    }
    assert.deepEqual(await query('SELECT event, event_text, revenue FROM `analytics.order_completed`'), [
      { event: 'order_completed', event_text: 'Order Completed', revenue: '9.5' },
    ]);
  });

  test('call-type views and users: Segment columns, flattened context, traits and properties as columns', async () => {
    const w = await warehouseWith([
      { type: 'track', event: 'Signed Up', user_id: 'u1', context: ctx },
      {
        type: 'identify',
        user_id: 'u1',
        timestamp: recent(30),
        traits: '{"email":"a@example.com","plan":"free"}',
      },
      {
        type: 'identify',
        user_id: 'u1',
        timestamp: recent(10),
        traits: '{"plan":"pro","address":{"city":"Oslo"}}',
      },
      { type: 'page', name: 'Home', properties: '{"title":"Welcome","url":"https://x.example/"}' },
      { type: 'group', group_id: 'g1', traits: '{"employees":12}' },
      { type: 'alias', user_id: 'u1', previous_id: 'anon-1' },
    ]);
    await w.refreshViews();
    assert.deepEqual(
      await query(
        'SELECT user_id, event, event_text, context_ip, context_library_name, context_page_url FROM `analytics.tracks`',
      ),
      [
        {
          user_id: 'u1',
          event: 'signed_up',
          event_text: 'Signed Up',
          context_ip: '203.0.113.9',
          context_library_name: 'analytics.js',
          context_page_url: 'https://x.example/',
        },
      ],
    );
    assert.deepEqual(
      await query('SELECT user_id, email, plan, address FROM `analytics.identifies` ORDER BY `timestamp`'),
      [
        { user_id: 'u1', email: 'a@example.com', plan: 'free', address: null },
        { user_id: 'u1', email: null, plan: 'pro', address: null },
      ],
    );
    assert.deepEqual(await query('SELECT id, email, plan FROM `analytics.users`'), [
      { id: 'u1', email: 'a@example.com', plan: 'pro' },
    ]);
    assert.deepEqual(await query('SELECT name, title, url FROM `analytics.pages`'), [
      { name: 'Home', title: 'Welcome', url: 'https://x.example/' },
    ]);
    assert.deepEqual(await query('SELECT group_id, employees FROM `analytics.groups`'), [
      { group_id: 'g1', employees: 12 },
    ]);
    assert.deepEqual(await query('SELECT user_id, previous_id FROM `analytics.aliases`'), [
      { user_id: 'u1', previous_id: 'anon-1' },
    ]);
  });

  test("event names with quotes and backslashes are GoogleSQL literals in the view; the SQL snake_case is the views' own", async () => {
    const odd = 'Bob\'s "Big" Sale\\Now';
    const w = await warehouseWith([
      { event: odd, properties: '{"Discount Rate":"0.2"}' },
      { event: 'v2SignUp' },
    ]);
    const report = await w.refreshViews();
    assert.deepEqual(
      report.views.filter((v) => v.kind === 'event').map((v) => [v.name, v.events]),
      [
        ['bob_s_big_sale_now', [odd]],
        ['v2_sign_up', ['v2SignUp']],
      ],
    );
    assert.deepEqual(await query('SELECT event_text, discount_rate FROM `analytics.bob_s_big_sale_now`'), [
      { event_text: odd, discount_rate: '0.2' },
    ]);
    const d = bigQueryDialect('test-project', DATASET);
    const names = [odd, 'Order Completed', 'HTMLParser  x!', 'aB1C', 'Café'];
    const [snaked] = await client.query({
      query: `SELECT ${names.map((n, i) => `${d.snake(d.str(n))} AS s${i}`).join(', ')}`,
      location: LOCATION,
    });
    assert.deepEqual(Object.values(snaked[0] as object), names.map(snakeCase));
  });

  test('a table of a view name in the dataset stays; that view is reported skipped, the others are made', async () => {
    const w = await warehouseWith([{ event: 'Logged In' }, { event: 'Signed Up' }]);
    await client
      .dataset(DATASET)
      .createTable('logged_in', { schema: { fields: [{ name: 'x', type: 'STRING' }] } });
    const report = await w.refreshViews();
    const skipped = report.skipped.find((s) => s.name === 'logged_in');
    assert.ok(skipped, JSON.stringify(report.skipped));
    assert.ok(report.views.some((v) => v.name === 'signed_up'));
    assert.deepEqual(await query('SELECT count(*) AS n FROM `analytics.logged_in`'), [{ n: 0 }]);
    // Told what exists (the first report's definitions): the next refresh makes no view job.
    const before = bq.jobs().length;
    const again = await w.refreshViews(new Map(report.views.map((v) => [v.name, v.definition])));
    assert.ok(again.views.every((v) => !v.changed));
    assert.equal(bq.jobs().length - before, 2 + 1, 'the two profile reads, and the view that failed before');
  });

  test('typed columns: an analyst sums a number property and filters on a boolean; a value that does not fit is NULL', async () => {
    const order = (user_id: string, properties: object) => ({
      event: 'Order Completed',
      user_id,
      properties: JSON.stringify(properties),
    });
    const w = await warehouseWith([
      order('u1', { revenue: 10, coupon_used: true, currency: 'EUR' }),
      order('u2', { revenue: 20.5, coupon_used: false, currency: 'EUR' }),
      order('u3', { revenue: 7, coupon_used: true, currency: 'USD' }),
      order('u4', { revenue: 'abc', coupon_used: 'maybe', currency: 'EUR' }),
    ]);
    await w.refreshViews();
    assert.deepEqual(await query('SELECT sum(revenue) AS s FROM `analytics.order_completed`'), [{ s: 37.5 }]);
    assert.deepEqual(
      await query(
        'SELECT user_id, revenue, coupon_used, currency FROM `analytics.order_completed` ORDER BY user_id',
      ),
      [
        { user_id: 'u1', revenue: 10, coupon_used: true, currency: 'EUR' },
        { user_id: 'u2', revenue: 20.5, coupon_used: false, currency: 'EUR' },
        { user_id: 'u3', revenue: 7, coupon_used: true, currency: 'USD' },
        { user_id: 'u4', revenue: null, coupon_used: null, currency: 'EUR' },
      ],
    );
    assert.deepEqual(
      await query('SELECT user_id FROM `analytics.order_completed` WHERE coupon_used ORDER BY user_id'),
      [{ user_id: 'u1' }, { user_id: 'u3' }],
    );
    const create = bq.jobs().find((j) => /VIEW `[^`]+\.order_completed`/.test(j.sql ?? ''));
    assert.match(
      create?.sql ?? '',
      /SAFE_CAST\(JSON_VALUE\(`properties`, '\$\."revenue"'\) AS FLOAT64\) AS `revenue`/,
    );
  });

  test('a type change between refreshes re-creates that view only', async () => {
    const order = (revenue: unknown) => ({
      event: 'Order Completed',
      properties: JSON.stringify({ revenue }),
    });
    const w = await warehouseWith([order('10'), order('12'), { event: 'Signed Up' }]);
    const first = await w.refreshViews();
    assert.deepEqual(await query('SELECT revenue FROM `analytics.order_completed` ORDER BY revenue'), [
      { revenue: '10' },
      { revenue: '12' },
    ]);
    await w.load({
      id: `views_more_${++seq}`,
      table: 'events',
      files: [await eventFile([order(5), order(6), order(7)])],
      dedupWindowDays: 7,
    });
    const second = await w.refreshViews(new Map(first.views.map((v) => [v.name, v.definition])));
    assert.deepEqual(
      second.views.filter((v) => v.changed).map((v) => v.name),
      ['order_completed'],
    );
    assert.deepEqual(await query('SELECT sum(revenue) AS s FROM `analytics.order_completed`'), [{ s: 40 }]);
  });
});
