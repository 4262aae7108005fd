import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { warehouseContract } from '@eventkit/shared/contracts';
import { FileObjectStore } from '@eventkit/shared/local';
import type { LoadFile, LoadJob } from '@eventkit/shared/ports';
import { afterAll, describe, test } from 'vitest';
import { errorRow, putErrorFile, putEventFile, type RowInput } from '../../testing/fixtures.ts';
import { withDuckDb } from './duckdb-file.ts';
import { DuckDbWarehouse } from './duckdb-warehouse.ts';

async function setup(hooks?: ConstructorParameters<typeof DuckDbWarehouse>[0]['hooks']) {
  const dir = await mkdtemp(join(tmpdir(), 'eventkit-duckdb-'));
  const store = new FileObjectStore(join(dir, 'data'));
  const warehouse = new DuckDbWarehouse({
    path: join(dir, 'warehouse.duckdb'),
    dataset: 'events',
    table: 'raw_events',
    ...(hooks ? { hooks } : {}),
  });
  const sql = (q: string) =>
    withDuckDb(warehouse.path, { readOnly: true }, async (c) =>
      (await c.runAndReadAll(q)).getRowObjectsJson(),
    );
  return { dir, store, warehouse, sql, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

warehouseContract('duckdb', async () => {
  const s = await setup();
  return {
    warehouse: s.warehouse,
    stageFile: async (rows) => {
      const info = await putEventFile(s.store, rows as RowInput[]);
      return { key: info.key, uri: info.uri, size: info.size };
    },
    eventKeys: async () =>
      (await s.sql('SELECT source, message_id FROM events.raw_events')) as {
        source: string;
        message_id: string;
      }[],
    cleanup: s.cleanup,
  };
});

let n = 0;
const jobOf = (files: LoadFile[], table: LoadJob['table'] = 'events'): LoadJob => ({
  id: `${table}_test${++n}`,
  table,
  files,
  dedupWindowDays: 7,
});
const asFile = (o: { key: string; uri: string; size: number }): LoadFile => ({
  key: o.key,
  uri: o.uri,
  size: o.size,
});

describe('DuckDbWarehouse', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups) await c();
  });

  test('the wide row lands typed: JSON columns queryable, timestamps UTC, loaded_at set, ledger per file', async () => {
    const s = await setup();
    cleanups.push(s.cleanup);
    await s.warehouse.ensureTables();
    const a = await putEventFile(s.store, [
      { message_id: 'm1', properties: '{"plan":"pro","price":9.5}', received_at: '2026-11-27T10:00:00.250Z' },
      { message_id: 'm2' },
    ]);
    const b = await putEventFile(s.store, [{ message_id: 'm3', stream: 'users', type: 'identify' }], {
      stream: 'users',
    });
    const result = await s.warehouse.load(jobOf([asFile(a), asFile(b)]));
    assert.deepEqual(result, { jobId: `events_test${n}`, rowsRead: 3, rowsInserted: 3, alreadyDone: false });

    const [row] = await s.sql(
      `SELECT properties->>'$.plan' AS plan, (properties->'$.price')::DOUBLE AS price, received_at::VARCHAR AS received_at, loaded_at IS NOT NULL AS loaded FROM events.raw_events WHERE message_id = 'm1'`,
    );
    assert.deepEqual(row, {
      plan: 'pro',
      price: 9.5,
      received_at: '2026-11-27 10:00:00.25+00',
      loaded: true,
    });
    const ledger = await s.sql('SELECT key, row_count, job_id FROM events._loaded_files ORDER BY row_count');
    assert.deepEqual(ledger, [
      { key: b.key, row_count: '1', job_id: `events_test${n}` },
      { key: a.key, row_count: '2', job_id: `events_test${n}` },
    ]);
    const summary = await s.warehouse.ledgerSummary();
    assert.equal(summary.files, 2);
    assert.equal(summary.rows, 3);
    assert.ok(summary.lastLoadedAt && Date.now() - summary.lastLoadedAt.getTime() < 60_000);
    const marks = await s.warehouse.lastLoadedKeys([
      'events/stream=events/',
      'events/stream=users/',
      'nope/',
    ]);
    assert.deepEqual(
      marks,
      new Map([
        ['events/stream=events/', a.key],
        ['events/stream=users/', b.key],
      ]),
    );
  });

  test('the dedup window: a copy older than the window is not seen, one inside it is', async () => {
    const s = await setup();
    cleanups.push(s.cleanup);
    await s.warehouse.ensureTables();
    const first = await putEventFile(s.store, [
      { message_id: 'old', received_at: '2026-11-01T00:00:00.000Z' },
      { message_id: 'recent', received_at: '2026-11-25T00:00:00.000Z' },
    ]);
    await s.warehouse.load(jobOf([asFile(first)]));
    const again = await putEventFile(s.store, [
      { message_id: 'old', received_at: '2026-11-27T00:00:00.000Z' },
      { message_id: 'recent', received_at: '2026-11-27T00:00:00.000Z' },
    ]);
    const result = await s.warehouse.load(jobOf([asFile(again)]));
    assert.equal(result.rowsInserted, 1, 'only the copy 26 days apart is outside the 7-day window');
    const rows = await s.sql(`SELECT message_id, count(*) AS n FROM events.raw_events GROUP BY 1 ORDER BY 1`);
    assert.deepEqual(rows, [
      { message_id: 'old', n: '2' },
      { message_id: 'recent', n: '1' },
    ]);
  });

  test('a failure between the insert and the ledger leaves nothing behind; the retry loads once', async () => {
    let fail = true;
    const s = await setup({
      beforeRecord: () => {
        if (fail) throw new Error('ledger unavailable');
      },
    });
    cleanups.push(s.cleanup);
    await s.warehouse.ensureTables();
    const file = asFile(await putEventFile(s.store, [{ message_id: 'm1' }, { message_id: 'm2' }]));
    const job = jobOf([file]);
    await assert.rejects(s.warehouse.load(job), /ledger unavailable/);
    assert.deepEqual(await s.sql('SELECT count(*) AS n FROM events.raw_events'), [{ n: '0' }]);
    assert.equal((await s.warehouse.loadedKeys([file.key])).size, 0);
    fail = false;
    assert.equal((await s.warehouse.load(job)).rowsInserted, 2);
    assert.equal((await s.warehouse.load(job)).alreadyDone, true);
    assert.deepEqual(await s.sql('SELECT count(*) AS n FROM events.raw_events'), [{ n: '2' }]);
  });

  test('dead letters load into {table}_errors, deduplicated on id, payload as JSON', async () => {
    const s = await setup();
    cleanups.push(s.cleanup);
    await s.warehouse.ensureTables();
    const a = await putErrorFile(s.store, [errorRow('e1'), errorRow('e2', { payload: null, raw: 'AAEC' })]);
    const b = await putErrorFile(s.store, [errorRow('e1')], { errorType: 'processing' });
    const empty = await putErrorFile(s.store, []);
    const result = await s.warehouse.load(jobOf([asFile(a), asFile(b), asFile(empty)], 'errors'));
    assert.equal(result.rowsRead, 3);
    assert.equal(result.rowsInserted, 2);
    const rows = await s.sql(
      `SELECT id, reasons->>'$[0].code' AS code, payload->>'$.type' AS type, raw FROM events.raw_events_errors ORDER BY id`,
    );
    assert.deepEqual(rows, [
      { id: 'e1', code: 'missing_field', type: 'track', raw: null },
      { id: 'e2', code: 'missing_field', type: null, raw: 'AAEC' },
    ]);
    assert.equal((await s.warehouse.loadedKeys([a.key, b.key, empty.key])).size, 3);
  });

  test('a file that is not valid Parquet fails the whole job and records nothing', async () => {
    const s = await setup();
    cleanups.push(s.cleanup);
    await s.warehouse.ensureTables();
    const good = asFile(await putEventFile(s.store, [{ message_id: 'm1' }]));
    const bad = asFile(
      await s.store.put('events/stream=events/date=2026-11-27/hour=10/w-bad.parquet', Buffer.from('nope')),
    );
    await assert.rejects(s.warehouse.load(jobOf([good, bad])));
    assert.equal((await s.warehouse.loadedKeys([good.key, bad.key])).size, 0);
    assert.deepEqual(await s.sql('SELECT count(*) AS n FROM events.raw_events'), [{ n: '0' }]);
  });

  test('reads of a warehouse that does not exist yet are empty and create nothing', async () => {
    const s = await setup();
    cleanups.push(s.cleanup);
    assert.equal((await s.warehouse.loadedKeys(['a'])).size, 0);
    assert.deepEqual(await s.warehouse.ledgerSummary(), { files: 0, rows: 0, lastLoadedAt: undefined });
    await assert.rejects(s.sql('SELECT 1'), /no DuckDB warehouse/);
  });
});
