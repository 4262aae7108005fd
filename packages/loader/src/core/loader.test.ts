// The loader end to end over real files and a real DuckDB warehouse.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { FileObjectStore } from '@eventkit/shared/local';
import { createLogger } from '@eventkit/shared/logging';
import { createMetricsRegistry } from '@eventkit/shared/metrics';
import type { LoadJob, Warehouse } from '@eventkit/shared/ports';
import { afterAll, describe, test } from 'vitest';
import { errorRow, eventKey, putErrorFile, putEventFile } from '../testing/fixtures.ts';
import { defaultLoaderSettings } from '../testing/settings.ts';
import { withDuckDb } from '../warehouse/duckdb/duckdb-file.ts';
import { DuckDbWarehouse, type DuckDbWarehouseOptions } from '../warehouse/duckdb/duckdb-warehouse.ts';
import { createLoader, type LoaderDeps, TABLES } from './loader.ts';
import { Quarantine } from './quarantine.ts';
import { describeError } from './report.ts';
import { defaultGraceMs, deleteLoadedFiles } from './retention.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function setup(opts: { hooks?: DuckDbWarehouseOptions['hooks']; deps?: Partial<LoaderDeps> } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'eventkit-loader-'));
  dirs.push(dir);
  const store = new FileObjectStore(join(dir, 'data'));
  const path = join(dir, 'warehouse.duckdb');
  const warehouse = () =>
    new DuckDbWarehouse({
      path,
      dataset: 'events',
      table: 'raw_events',
      ...(opts.hooks ? { hooks: opts.hooks } : {}),
    });
  const loader = (deps: Partial<LoaderDeps> = {}) =>
    createLoader({
      ...defaultLoaderSettings(),
      store,
      warehouse: warehouse(),
      intervalSeconds: 0.05,
      ...opts.deps,
      ...deps,
    });
  const sql = async (q: string) =>
    withDuckDb(path, { readOnly: true }, async (c) => (await c.runAndReadAll(q)).getRowObjectsJson());
  const perMessage = async () =>
    Object.fromEntries(
      (await sql('SELECT message_id, count(*) AS n FROM events.raw_events GROUP BY 1 ORDER BY 1')).map(
        (r) => [r.message_id, Number(r.n)],
      ),
    );
  return { dir, store, path, loader, sql, perMessage };
}

const at = (hour: number, day = 27) => `2026-11-${day}T${String(hour).padStart(2, '0')}:15:00.000Z`;

describe('loader (files → DuckDB)', () => {
  test('an empty run creates the tables, loads nothing and succeeds', async () => {
    const s = await setup();
    const report = await s.loader().runOnce();
    assert.equal(report.ok, true);
    assert.equal(report.jobs, 0);
    assert.deepEqual(await s.sql('SELECT count(*) AS n FROM events.raw_events'), [{ n: '0' }]);
  });

  test('the same events in several files and across runs end up exactly once each', async () => {
    const s = await setup();
    await putEventFile(s.store, [{ message_id: 'm1' }, { message_id: 'm2' }, { message_id: 'm2' }], {
      at: at(10),
    });
    await putEventFile(s.store, [{ message_id: 'm2' }, { message_id: 'm3' }], { at: at(10), worker: 'w2' });
    const first = await s.loader().runOnce();
    assert.deepEqual([first.ok, first.files, first.rowsRead, first.rowsInserted], [true, 2, 5, 3]);

    // A redelivery rewritten by another worker an hour later, plus new events.
    await putEventFile(s.store, [{ message_id: 'm1' }, { message_id: 'm3' }, { message_id: 'm4' }], {
      at: at(11),
    });
    const second = await s.loader().runOnce();
    assert.deepEqual([second.files, second.rowsRead, second.rowsInserted], [1, 3, 1]);
    assert.deepEqual(await s.perMessage(), { m1: 1, m2: 1, m3: 1, m4: 1 });

    const third = await s.loader().runOnce();
    assert.equal(third.jobs, 0, 'nothing pending: no job at all');
    assert.deepEqual(await s.sql('SELECT count(*) AS files FROM events._loaded_files'), [{ files: '3' }]);
  });

  test('a file dated in the future (a fast worker clock) hides no correctly dated file older than the look-back', async () => {
    const s = await setup();
    const now = Date.parse(at(10));
    // Tomorrow + 1 day: two days ahead of the loader's clock.
    await putEventFile(s.store, [{ message_id: 'future' }], { at: at(10, 29) });
    const first = await s.loader({ now: () => now }).runOnce();
    assert.deepEqual([first.ok, first.files], [true, 1]);
    // Correctly dated (an hour ago), far more than the 2 h look-back before the future folder.
    await putEventFile(s.store, [{ message_id: 'current' }], { at: at(9) });
    const second = await s.loader({ now: () => now }).runOnce();
    assert.deepEqual([second.ok, second.files], [true, 1]);
    assert.deepEqual(await s.perMessage(), { current: 1, future: 1 });
  });

  test('groups are bounded: five files with at most two per job make three jobs, oldest first', async () => {
    const s = await setup();
    for (let h = 14; h >= 10; h--) await putEventFile(s.store, [{ message_id: `m${h}` }], { at: at(h) });
    const report = await s.loader({ limits: { maxFiles: 2 } }).runOnce();
    assert.equal(report.jobs, 3);
    const jobs = await s.sql(
      `SELECT job_id, list(key ORDER BY key) AS keys FROM events._loaded_files GROUP BY job_id ORDER BY min(loaded_at), min(key)`,
    );
    const hours = jobs.map((j) => (j.keys as string[]).map((k) => Number(/hour=(\d\d)/.exec(k)?.[1])));
    assert.deepEqual(hours, [[10, 11], [12, 13], [14]]);
  });

  test('a late file in an hour already listed is caught by the next run', async () => {
    const s = await setup();
    await putEventFile(s.store, [{ message_id: 'm1' }], { at: at(10) });
    await putEventFile(s.store, [{ message_id: 'm2' }], { at: at(12) });
    await s.loader().runOnce();
    // A slow upload: named at 11:xx, visible only now, after hour 12 was loaded.
    await putEventFile(s.store, [{ message_id: 'late' }], { at: at(11), worker: 'slow' });
    const report = await s.loader().runOnce();
    assert.equal(report.files, 1);
    assert.deepEqual(await s.perMessage(), { late: 1, m1: 1, m2: 1 });
  });

  test('a failure between loading and recording loads nothing; the next run loads every file once', async () => {
    let failures = 1;
    const s = await setup({
      hooks: {
        beforeRecord: () => {
          if (failures-- > 0) throw new Error('ledger write failed');
        },
      },
    });
    await putEventFile(s.store, [{ message_id: 'm1' }, { message_id: 'm2' }]);
    const failed = await s.loader().runOnce();
    assert.equal(failed.ok, false);
    assert.match(failed.error?.message ?? '', /ledger write failed/);
    assert.deepEqual(await s.perMessage(), {});
    const retried = await s.loader().runOnce();
    assert.deepEqual([retried.ok, retried.rowsInserted], [true, 2]);
    assert.deepEqual(await s.perMessage(), { m1: 1, m2: 1 });
  });

  test('stop() during a job lets it commit and starts no other; a run asked for afterwards loads the rest', async () => {
    let loader: ReturnType<Awaited<ReturnType<typeof setup>>['loader']> | undefined;
    const s = await setup({
      hooks: {
        beforeRecord: () => {
          if (!loader?.stopping) void loader?.stop();
        },
      },
    });
    for (let h = 10; h < 13; h++) await putEventFile(s.store, [{ message_id: `m${h}` }], { at: at(h) });
    loader = s.loader({ limits: { maxFiles: 1 } });
    const report = await loader.runOnce();
    assert.deepEqual([report.ok, report.stopped, report.jobs], [true, true, 1]);
    assert.deepEqual(await s.perMessage(), { m10: 1 });
    assert.deepEqual(await s.sql('SELECT count(*) AS n FROM events._loaded_files'), [{ n: '1' }]);
    // A run asked for after stop() (the local mode's final load at shutdown) runs in full.
    const rest = await loader.runOnce();
    assert.deepEqual([rest.ok, rest.stopped, rest.jobs], [true, false, 2]);
    assert.deepEqual(await s.perMessage(), { m10: 1, m11: 1, m12: 1 });
  });

  test('loop() runs every interval until stop()', async () => {
    const s = await setup();
    const registry = createMetricsRegistry({}, { processMetrics: false });
    const loader = s.loader({ metrics: registry });
    const looping = loader.loop();
    await putEventFile(s.store, [{ message_id: 'm1' }]);
    for (let i = 0; i < 100 && Object.keys(await s.perMessage().catch(() => ({}))).length === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await loader.stop();
    await looping;
    assert.deepEqual(await s.perMessage(), { m1: 1 });
    const metrics = await registry.metrics();
    assert.match(metrics, /eventkit_loader_files_loaded_total\{table="events"\} 1/);
    assert.match(metrics, /eventkit_loader_runs_total\{result="ok"\} [1-9]/);
  });

  test('dead letters load into raw_events_errors in the same run', async () => {
    const s = await setup();
    await putErrorFile(s.store, [errorRow('e1'), errorRow('e2')]);
    await putErrorFile(s.store, [errorRow('e2')], { errorType: 'processing' });
    const report = await s.loader().runOnce();
    assert.deepEqual([report.files, report.rowsInserted], [2, 2]);
    assert.deepEqual(await s.sql('SELECT id FROM events.raw_events_errors ORDER BY id'), [
      { id: 'e1' },
      { id: 'e2' },
    ]);
  });

  test('status: pending files, their age, and what the ledger holds', async () => {
    const s = await setup();
    await putEventFile(s.store, [{ message_id: 'm1' }, { message_id: 'm2' }]);
    await putErrorFile(s.store, [errorRow('e1')]);
    const before = await s.loader().status();
    assert.deepEqual([before.pending.files, before.pending.byTable], [2, { events: 1, errors: 1 }]);
    assert.ok(before.pending.oldest && Date.now() - before.pending.oldest.getTime() < 60_000);
    assert.deepEqual(before.loaded, { files: 0, rows: 0, lastLoadedAt: undefined });
    await s.loader().runOnce();
    const afterRun = await s.loader().status();
    assert.equal(afterRun.pending.files, 0);
    assert.equal(afterRun.pending.oldest, undefined);
    assert.equal(afterRun.loaded?.files, 2);
    assert.equal(afterRun.loaded?.rows, 3);
  });

  test('backfill reloads a date range idempotently: missing rows come back once, present ones stay once', async () => {
    const s = await setup();
    await putEventFile(s.store, [{ message_id: 'a1', received_at: at(10, 26) }], { at: at(10, 26) });
    await putEventFile(s.store, [{ message_id: 'b1', received_at: at(10, 27) }], { at: at(10, 27) });
    await s.loader().runOnce();
    // Lose a row from the table (say, a partition was deleted by mistake).
    await withDuckDb(s.path, {}, (c) => c.run(`DELETE FROM events.raw_events WHERE message_id = 'a1'`));
    const progress: number[] = [];
    const report = await s.loader().backfill({ from: '2026-11-26', to: '2026-11-26' }, (p) => {
      progress.push(p.doneFiles);
      assert.equal(p.totalFiles, 1);
    });
    assert.deepEqual([report.ok, report.files, report.rowsInserted], [true, 1, 1]);
    assert.deepEqual(progress, [0, 1]);
    const again = await s.loader().backfill({ from: '2026-11-20', to: '2026-11-30' });
    assert.deepEqual([again.files, again.rowsInserted], [2, 0]);
    assert.deepEqual(await s.perMessage(), { a1: 1, b1: 1 });
    await assert.rejects(s.loader().backfill({ from: '2026-11-27', to: '2026-11-26' }), /is after/);
    await assert.rejects(s.loader().backfill({ from: '27/11/2026', to: '2026-11-26' }), /YYYY-MM-DD/);
  });

  test('failures are logged as one line that never quotes event data', () => {
    const duck = new Error(
      'Conversion Error: Malformed JSON at byte 3 of input: unexpected character.  Input: "{"email":"a@b.c"\n\nLINE 1: INSERT',
    );
    assert.equal(
      describeError(duck),
      'Conversion Error: Malformed JSON at byte 3 of input: unexpected character. (input not logged)',
    );
    assert.equal(describeError(new TypeError('x')), 'TypeError: x');
    assert.equal(describeError('a'.repeat(600)).length, 501);
  });

  test('a file that can never load is quarantined with the reason; the files around it, in its stream and others, load; a second run does not retry it', async () => {
    const s = await setup();
    const registry = createMetricsRegistry({}, { processMetrics: false });
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({
      write(chunk, _enc, done) {
        for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
        done();
      },
    });
    const logger = createLogger({ level: 'info', json: true, destination });
    const loader = () => s.loader({ metrics: registry, logger });
    await putEventFile(s.store, [{ message_id: 'a9' }], { stream: 'a', at: at(9) });
    // A lone UTF-16 surrogate in a JSON string, as the gateway let through before it mended them.
    const surrogate = await putEventFile(
      s.store,
      [{ message_id: 'sur', properties: JSON.stringify({ s: '\uD800x' }) }],
      {
        stream: 'a',
        at: at(10),
      },
    );
    await putEventFile(s.store, [{ message_id: 'a11' }], { stream: 'a', at: at(11) });
    await putEventFile(s.store, [{ message_id: 'b10' }], { stream: 'b', at: at(10) });
    // Not Parquet at all, and a Parquet file cut in half.
    const garbage = await s.store.put(eventKey({ stream: 'b', at: at(10) }), Buffer.from('not parquet'));
    const whole = await s.store.get(surrogate.key);
    const truncated = await s.store.put(
      eventKey({ stream: 'b', at: at(11) }),
      whole.subarray(0, Math.floor(whole.length / 2)),
    );
    await putErrorFile(s.store, [errorRow('e1')]);

    const first = await loader().runOnce();
    assert.equal(first.ok, true, describeError(first.error));
    assert.equal(first.filesQuarantined, 3);
    assert.deepEqual(await s.perMessage(), { a11: 1, a9: 1, b10: 1 });
    assert.deepEqual(await s.sql('SELECT id FROM events.raw_events_errors'), [{ id: 'e1' }]);

    const status = await loader().status();
    assert.equal(status.pending.files, 0, 'quarantined files are not pending');
    const byKey = new Map(status.quarantined.map((q) => [q.key, q]));
    assert.deepEqual([...byKey.keys()].sort(), [garbage.key, surrogate.key, truncated.key].sort());
    assert.match(byKey.get(surrogate.key)!.reason, /no low surrogate/);
    assert.doesNotMatch(byKey.get(surrogate.key)!.reason, /ud800/i, 'no payload in the reason');
    assert.equal(byKey.get(garbage.key)!.table, 'events');
    const logged = lines.filter((l) => l.message === 'load_file_quarantined');
    assert.deepEqual(logged.map((l) => l.key).sort(), [garbage.key, surrogate.key, truncated.key].sort());
    assert.ok(logged.every((l) => !JSON.stringify(l).toLowerCase().includes('ud800')));
    assert.match(await registry.metrics(), /eventkit_loader_files_quarantined_total\{table="events"\} 3/);

    const second = await loader().runOnce();
    assert.deepEqual([second.ok, second.jobs, second.files, second.filesQuarantined], [true, 0, 0, 0]);
    assert.deepEqual(await s.sql('SELECT count(*) AS files FROM events._loaded_files'), [{ files: '4' }]);
    assert.match(await registry.metrics(), /eventkit_loader_files_quarantined_total\{table="events"\} 3/);

    // Released (after a fix), the file is pending again.
    assert.equal(await new Quarantine(s.store, '').release(garbage.key), true);
    assert.equal((await loader().status()).pending.files, 1);
  });

  test('a failing events lane does not stop the dead-letter lane', async () => {
    const s = await setup();
    await putEventFile(s.store, [{ message_id: 'm1' }], { at: at(10) });
    await putErrorFile(s.store, [errorRow('e1')]);
    const real = new DuckDbWarehouse({ path: s.path, dataset: 'events', table: 'raw_events' });
    const warehouse: Warehouse = {
      kind: 'duckdb',
      ensureTables: () => real.ensureTables(),
      loadedKeys: (keys, o) => real.loadedKeys(keys, o),
      lastLoadedKeys: (p) => real.lastLoadedKeys(p),
      close: () => real.close(),
      load: (job: LoadJob) =>
        job.table === 'events' ? Promise.reject(new Error('events are down')) : real.load(job),
      classifyError: () => 'transient',
    };
    const report = await createLoader({ ...defaultLoaderSettings(), store: s.store, warehouse }).runOnce();
    assert.equal(report.ok, false);
    assert.match(describeError(report.error), /events are down/);
    assert.deepEqual(await s.sql('SELECT id FROM events.raw_events_errors'), [{ id: 'e1' }]);
    assert.equal(report.filesQuarantined, 0, 'a transient failure quarantines nothing');
    assert.deepEqual(await s.perMessage(), {});
  });

  test('retention (local mode): a loaded file goes once its folder ended the grace period ago, not a millisecond before; an unloaded or quarantined file never goes', async () => {
    const s = await setup();
    const written = Date.parse('2026-11-01T10:15:00.000Z');
    const folderEnd = Date.parse('2026-11-01T11:00:00.000Z');
    const graceMs = defaultGraceMs(7, 2);
    const loaded = await putEventFile(s.store, [{ message_id: 'old' }], { at: '2026-11-01T10:15:00.000Z' });
    assert.equal((await s.loader({ now: () => written }).runOnce()).files, 1);
    // Written after that run: never loaded (pending), and one that can never load.
    const pending = await putEventFile(s.store, [{ message_id: 'pending' }], {
      at: '2026-11-01T10:15:00.000Z',
    });
    const corrupt = await s.store.put(
      eventKey({ at: '2026-11-01T10:15:00.000Z' }),
      Buffer.from('not parquet'),
    );
    const discovery = {
      store: s.store,
      warehouse: new DuckDbWarehouse({ path: s.path, dataset: 'events', table: 'raw_events' }),
      prefix: '',
      lookbackHours: 2,
    };
    const exists = async (key: string) => (await s.store.stat(key)) !== undefined;

    assert.equal(await deleteLoadedFiles(TABLES, discovery, { graceMs }, folderEnd + graceMs - 1), 0);
    assert.equal(await exists(loaded.key), true, 'just inside the grace period: kept');
    assert.equal(await deleteLoadedFiles(TABLES, discovery, { graceMs }, folderEnd + graceMs), 1);
    assert.equal(await exists(loaded.key), false, 'just past it: deleted');
    assert.equal(await exists(pending.key), true, 'an unloaded file is never deleted');
    assert.equal(await exists(corrupt.key), true);

    // Part of a run: it loads the pending file, quarantines the corrupt one, then deletes what is loaded and old.
    const run = await s.loader({ now: () => folderEnd + graceMs, retention: { graceMs } }).runOnce();
    assert.deepEqual([run.ok, run.files, run.filesQuarantined, run.filesDeleted], [true, 1, 1, 1]);
    assert.equal(await exists(pending.key), false);
    assert.equal(await exists(corrupt.key), true, 'a quarantined file is never deleted');
    assert.deepEqual(await s.perMessage(), { old: 1, pending: 1 });
  });

  test('a group where every file fails with an unknown error (a systemic fault) quarantines nothing and tries a bounded number of jobs', async () => {
    const s = await setup();
    for (let i = 0; i < 64; i++)
      await putEventFile(s.store, [{ message_id: `m${i}` }], { at: at(10), worker: `w${i}` });
    const real = new DuckDbWarehouse({ path: s.path, dataset: 'events', table: 'raw_events' });
    let loads = 0;
    const warehouse: Warehouse = {
      kind: 'duckdb',
      ensureTables: () => real.ensureTables(),
      loadedKeys: (keys, o) => real.loadedKeys(keys, o),
      lastLoadedKeys: (p) => real.lastLoadedKeys(p),
      close: () => real.close(),
      load: () => {
        loads += 1;
        return Promise.reject(new Error('Binder Error: the schema changed'));
      },
      classifyError: () => 'unknown',
    };
    const report = await createLoader({ ...defaultLoaderSettings(), store: s.store, warehouse }).runOnce();
    assert.equal(report.ok, false);
    assert.equal(report.filesQuarantined, 0);
    // 1 + the budget 4·ceil(log2 65) + 4 = 33, not the 127 jobs of the whole tree.
    assert.ok(loads <= 33, `${loads} jobs`);
    assert.equal(
      (await createLoader({ ...defaultLoaderSettings(), store: s.store, warehouse: real }).status()).pending
        .files,
      64,
    );
  });
});
