// Typed property and trait columns of the Segment-shaped views in DuckDB: what
// an analyst's query (a dbt model written for Segment) gets from them.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileObjectStore } from '@eventkit/shared/local';
import { afterAll, describe, test } from 'vitest';
import { putEventFile, type RowInput } from '../../testing/fixtures.ts';
import { withDuckDb } from './duckdb-file.ts';
import { DuckDbWarehouse } from './duckdb-warehouse.ts';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

let seq = 0;

/** A warehouse and `add`, which loads rows into it (received a few minutes ago). */
async function newWarehouse() {
  const dir = await mkdtemp(join(tmpdir(), 'eventkit-typed-views-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const store = new FileObjectStore(join(dir, 'data'));
  const warehouse = new DuckDbWarehouse({
    path: join(dir, 'w.duckdb'),
    dataset: 'events',
    table: 'raw_events',
  });
  await warehouse.ensureTables();
  const add = async (rows: Omit<RowInput, 'message_id'>[]) => {
    const received = new Date(Date.now() - 5 * 60_000).toISOString();
    const info = await putEventFile(
      store,
      rows.map((r) => ({ message_id: `t${++seq}`, received_at: received, ...r })),
    );
    await warehouse.load({
      id: `typed_${seq}`,
      table: 'events',
      files: [{ key: info.key, uri: info.uri, size: info.size }],
      dedupWindowDays: 7,
    });
  };
  const sql = (q: string) =>
    withDuckDb(warehouse.path, { readOnly: true }, async (c) =>
      (await c.runAndReadAll(q)).getRowObjectsJson(),
    );
  const typeOf = async (view: string, column: string) =>
    (
      await sql(
        `SELECT data_type FROM information_schema.columns WHERE table_schema = 'events' AND table_name = '${view}' AND column_name = '${column}'`,
      )
    )[0]?.data_type;
  return { warehouse, add, sql, typeOf };
}

const order = (properties: object, user_id = 'u1') => ({
  event: 'Order Completed',
  user_id,
  properties: JSON.stringify(properties),
});

describe('typed property and trait columns in DuckDB', () => {
  test('numbers sum, booleans filter, a value that does not fit is NULL for its row only', async () => {
    const w = await newWarehouse();
    await w.add([
      order({ revenue: 10, coupon_used: true, currency: 'EUR' }, 'u1'),
      order({ revenue: 20.5, coupon_used: false, currency: 'EUR' }, 'u2'),
      order({ revenue: 7, coupon_used: true, currency: 'USD' }, 'u3'),
      // A bad row: a string where the others have numbers and booleans.
      order({ revenue: 'abc', coupon_used: 'maybe', currency: 'EUR' }, 'u4'),
    ]);
    await w.warehouse.refreshViews();
    assert.equal(await w.typeOf('order_completed', 'revenue'), 'DOUBLE');
    assert.equal(await w.typeOf('order_completed', 'coupon_used'), 'BOOLEAN');
    assert.equal(await w.typeOf('order_completed', 'currency'), 'VARCHAR');
    assert.deepEqual(await w.sql('SELECT sum(revenue) AS s FROM events.order_completed'), [{ s: 37.5 }]);
    assert.deepEqual(
      await w.sql('SELECT user_id, revenue, coupon_used FROM events.order_completed ORDER BY user_id'),
      [
        { user_id: 'u1', revenue: 10, coupon_used: true },
        { user_id: 'u2', revenue: 20.5, coupon_used: false },
        { user_id: 'u3', revenue: 7, coupon_used: true },
        { user_id: 'u4', revenue: null, coupon_used: null },
      ],
    );
    assert.deepEqual(
      await w.sql('SELECT user_id FROM events.order_completed WHERE coupon_used ORDER BY user_id'),
      [{ user_id: 'u1' }, { user_id: 'u3' }],
    );
  });

  test('a key typed by most of its non-null values; mixed keys, objects and arrays stay text; traits typed in users', async () => {
    const w = await newWarehouse();
    await w.add([
      order({ mixed: 1, items: [1, 2], zip: '0150', qty: null }),
      order({ mixed: 'a', items: [3], zip: '0151', qty: 2 }),
      order({ mixed: true, items: [], zip: 160, qty: null }),
      { type: 'identify', user_id: 'u1', traits: '{"age":41,"vip":true,"name":"Ada"}' },
      { type: 'identify', user_id: 'u2', traits: '{"age":"n/a","vip":"TRUE","name":"Bo"}' },
      { type: 'identify', user_id: 'u3', traits: '{"age":30,"vip":false,"name":"Cy"}' },
    ]);
    await w.warehouse.refreshViews();
    // qty: one number and two JSON nulls, a number column; zip: two strings of three, text.
    assert.equal(await w.typeOf('order_completed', 'qty'), 'DOUBLE');
    assert.equal(await w.typeOf('order_completed', 'zip'), 'VARCHAR');
    assert.equal(await w.typeOf('order_completed', 'mixed'), 'VARCHAR');
    assert.equal(await w.typeOf('order_completed', 'items'), 'VARCHAR');
    assert.deepEqual(await w.sql('SELECT zip, mixed, items FROM events.order_completed ORDER BY zip'), [
      { zip: '0150', mixed: '1', items: null },
      { zip: '0151', mixed: 'a', items: null },
      { zip: '160', mixed: 'true', items: null },
    ]);
    // A string that reads as the column's type is that value ("TRUE" as BigQuery casts it); "n/a" is NULL.
    assert.deepEqual(await w.sql('SELECT id, age, vip, name FROM events.users ORDER BY id'), [
      { id: 'u1', age: 41, vip: true, name: 'Ada' },
      { id: 'u2', age: null, vip: true, name: 'Bo' },
      { id: 'u3', age: 30, vip: false, name: 'Cy' },
    ]);
    assert.deepEqual(await w.sql('SELECT sum(age) AS s FROM events.identifies'), [{ s: 71 }]);
  });

  test('a type change between refreshes re-creates the view; the others stay', async () => {
    const w = await newWarehouse();
    await w.add([order({ revenue: '10' }), order({ revenue: '12' }), { event: 'Signed Up' }]);
    const first = await w.warehouse.refreshViews();
    assert.equal(await w.typeOf('order_completed', 'revenue'), 'VARCHAR');
    // Most revenues are numbers now: the column is, and the text '10' and '12' read as numbers.
    await w.add([order({ revenue: 5 }), order({ revenue: 6 }), order({ revenue: 7 })]);
    const second = await w.warehouse.refreshViews(new Map(first.views.map((v) => [v.name, v.definition])));
    assert.deepEqual(
      second.views.filter((v) => v.changed).map((v) => v.name),
      ['order_completed'],
    );
    assert.notEqual(
      second.views.find((v) => v.name === 'order_completed')?.definition,
      first.views.find((v) => v.name === 'order_completed')?.definition,
    );
    assert.equal(await w.typeOf('order_completed', 'revenue'), 'DOUBLE');
    assert.deepEqual(await w.sql('SELECT sum(revenue) AS s FROM events.order_completed'), [{ s: 40 }]);
  });
});
