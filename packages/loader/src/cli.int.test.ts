// eventkit-loader as a user runs it: child processes over a data directory.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileObjectStore } from '@eventkit/shared/local';
import { afterAll, describe, test } from 'vitest';
import { leaseKey } from './core/lease.ts';
import { createLoader } from './core/loader.ts';
import { errorRow, otherSchemaParquet, putErrorFile, putEventFile } from './testing/fixtures.ts';
import { defaultLoaderSettings } from './testing/settings.ts';
import { withDuckDb } from './warehouse/duckdb/duckdb-file.ts';
import { DuckDbWarehouse } from './warehouse/duckdb/duckdb-warehouse.ts';
import { queryDuckDb } from './warehouse/duckdb/query.ts';

const CLI = fileURLToPath(new URL('./cli.ts', import.meta.url));
const CRASH_CHILD = fileURLToPath(new URL('./testing/crash-child.ts', import.meta.url));
const HOLD_LOCK = fileURLToPath(new URL('./testing/hold-lock.ts', import.meta.url));

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function env(dataDir: string): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = {
    ...process.env,
    EVENTKIT_DATA_DIR: dataDir,
    EVENTKIT_LOG_LEVEL: 'info',
    EVENTKIT_JSON_LOGS: 'true',
    METADATA_SERVER_DETECTION: 'none',
    // The fixtures' folder dates age: keep loaded files, so backfills find them in any year.
    EVENTKIT_LOCAL_RETENTION_DAYS: '0',
  };
  delete e.NODE_TEST_CONTEXT;
  for (const k of Object.keys(e)) if (/^(GCP_|EVENTKIT_(WAREHOUSE|EVENT_STORE|DUCKDB))/.test(k)) delete e[k];
  return e;
}

function start(script: string, args: string[], dataDir: string): ChildProcess {
  return spawn(process.execPath, [script, ...args], { env: env(dataDir), stdio: ['ignore', 'pipe', 'pipe'] });
}

function finished(child: ChildProcess, timeoutMs = 60_000): Promise<Exit> {
  const started = Date.now();
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => {
    stdout += d;
  });
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child ${child.pid} did not exit in ${timeoutMs} ms: ${stdout}${stderr}`));
    }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

const cli = (dataDir: string, ...args: string[]) => finished(start(CLI, args, dataDir));

const dirs: string[] = [];
async function dataDir(): Promise<{ dir: string; store: FileObjectStore }> {
  const dir = await mkdtemp(join(tmpdir(), 'eventkit-cli-'));
  dirs.push(dir);
  return { dir, store: new FileObjectStore(dir) };
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const ids = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ message_id: `m${from + i}` }));

describe('eventkit-loader CLI', () => {
  test('run --once and status --json as processes: logs on stdout for run, JSON only for status; failures exit 1 or 2 with one line', async () => {
    const { dir, store } = await dataDir();
    await putEventFile(store, ids(1, 3));
    await putEventFile(store, ids(2, 4), { worker: 'w2' });
    await putErrorFile(store, [errorRow('e1')]);

    const run = await cli(dir, 'run', '--once');
    assert.equal(run.code, 0, run.stderr);
    const logs = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      logs.map((l) => [l.severity, l.message]),
      [
        ['INFO', 'load_job_finished'],
        ['INFO', 'load_job_finished'],
        // Events were loaded: the Segment-shaped views are refreshed (core/views-refresh.ts).
        ['INFO', 'warehouse_views_refreshed'],
        ['INFO', 'load_run_finished'],
      ],
    );
    const refreshed = logs.find((l) => l.message === 'warehouse_views_refreshed');
    assert.ok(refreshed.changed.includes('tracks') && refreshed.changed.includes('users'));

    const views = await cli(dir, 'views', '--json');
    assert.equal(views.code, 0, views.stderr);
    const listed = JSON.parse(views.stdout);
    for (const name of ['tracks', 'identifies', 'users', 'pages', 'screens', 'groups', 'aliases'])
      assert.ok(
        listed.views.some((v: { name: string }) => v.name === name),
        name,
      );

    const status = await cli(dir, 'status', '--json');
    assert.equal(status.stderr, '', 'logs and warnings go to stderr, so stdout stays JSON');
    const view = JSON.parse(status.stdout);
    assert.deepEqual(view.pending, { files: 0, bytes: 0, oldest_age_seconds: null, events: 0, errors: 0 });
    assert.deepEqual([view.loaded.files, view.loaded.rows], [3, 7]);

    // --json: stdout is the report alone (the logs move to stderr), for run --once and backfill.
    await putEventFile(store, ids(30, 31), { worker: 'w3' });
    const once = await cli(dir, 'run', '--once', '--json');
    assert.equal(once.code, 0, once.stderr);
    const report = JSON.parse(once.stdout);
    assert.deepEqual(
      [report.ok, report.files, report.rows_inserted, report.lease_held_by],
      [true, 1, 2, null],
    );
    assert.match(once.stderr, /load_run_finished/);
    const backfill = await cli(dir, 'backfill', '--from', '2026-11-27', '--to', '2026-11-27', '--json');
    assert.equal(backfill.code, 0, backfill.stderr);
    const refilled = JSON.parse(backfill.stdout);
    assert.deepEqual(
      [refilled.from, refilled.rows_inserted],
      ['2026-11-27', 0],
      'every row was there already',
    );
    assert.ok(refilled.files >= 3, backfill.stdout);
    const loop = await cli(dir, 'run', '--json');
    assert.equal(loop.code, 2);
    assert.deepEqual(
      JSON.parse(loop.stderr).error.message,
      '--json goes with --once (the loop logs its runs)',
    );

    // A corrupt file is quarantined: the run succeeds, says so, and status lists it.
    await store.put(
      'events/stream=events/date=2026-11-27/hour=11/w9-corrupt.parquet',
      Buffer.from('not parquet'),
    );
    const quarantined = await cli(dir, 'run', '--once');
    assert.equal(quarantined.code, 0);
    assert.match(quarantined.stdout, /load_file_quarantined/);
    const after = JSON.parse((await cli(dir, 'status', '--json')).stdout);
    assert.equal(after.pending.files, 0);
    assert.deepEqual(
      after.quarantined.map((q: { key: string }) => q.key),
      ['events/stream=events/date=2026-11-27/hour=11/w9-corrupt.parquet'],
    );

    // A file of another schema alone may be a systemic fault: the run fails with one line.
    await store.put(
      'events/stream=events/date=2026-11-27/hour=12/w9-other.parquet',
      await otherSchemaParquet(),
    );
    const failed = await cli(dir, 'run', '--once');
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /^eventkit-loader: load failed: /m);

    const range = await cli(dir, 'backfill', '--from', '2026-11-28', '--to', '2026-11-27');
    assert.equal(range.code, 2);
    assert.equal(range.stderr, 'eventkit-loader: --from 2026-11-28 is after --to 2026-11-27\n');
  });

  test('a loader killed between load and record, and duplicates across files and runs: each message_id once', async () => {
    const { dir, store } = await dataDir();
    await putEventFile(store, ids(1, 100), { at: '2026-11-27T10:00:00.000Z' });
    await putEventFile(store, ids(50, 150), { at: '2026-11-27T10:00:00.000Z', worker: 'w2' });

    const child = start(CRASH_CHILD, [dir], dir);
    const exit = finished(child);
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (d) => String(d).includes('between-load-and-record') && resolve());
      child.on('exit', () => reject(new Error('the crash child exited before reaching the crash point')));
    });
    child.kill('SIGKILL');
    assert.equal((await exit).signal, 'SIGKILL');

    // The next runs (in process: the processes that matter here are the one killed above).
    const path = join(dir, 'warehouse.duckdb');
    // The killed loader left its lease (120 s); its process is gone, and on the data
    // directory (one machine) that frees the lease at once.
    const lease = JSON.parse(
      (await store.get(leaseKey('', defaultLoaderSettings().leaseTarget))).toString(),
    ) as {
      pid: number;
      expires_at: string;
    };
    assert.equal(lease.pid, child.pid);
    assert.ok(Date.parse(lease.expires_at) > Date.now() + 60_000, 'not expired');
    const loader = () =>
      createLoader({
        ...defaultLoaderSettings(),
        store,
        warehouse: new DuckDbWarehouse({ path, dataset: 'events', table: 'raw_events' }),
        leaseSameMachine: true,
      });
    const first = await loader().runOnce();
    assert.deepEqual([first.ok, first.files, first.rowsInserted], [true, 2, 150]);
    await putEventFile(store, ids(100, 200), { at: '2026-11-27T11:00:00.000Z' });
    await putEventFile(store, ids(1, 10), { at: '2026-11-27T11:00:00.000Z', worker: 'w3' });
    const second = await loader().runOnce();
    assert.deepEqual([second.ok, second.files, second.rowsInserted], [true, 2, 50]);

    const stats = await withDuckDb(path, { readOnly: true }, async (c) =>
      (
        await c.runAndReadAll(`select count(*) as rows, count(distinct message_id) as ids,
          (select count(*) from events._loaded_files) as ledger_rows,
          (select count(distinct key) from events._loaded_files) as files
          from events.raw_events`)
      ).getRowObjectsJson(),
    );
    assert.deepEqual(stats, [{ rows: '200', ids: '200', ledger_rows: '4', files: '4' }]);
  });

  test('query waits while another process holds the warehouse, then answers', async () => {
    const { dir, store } = await dataDir();
    await putEventFile(store, ids(1, 2));
    const path = join(dir, 'warehouse.duckdb');
    const warehouse = new DuckDbWarehouse({ path, dataset: 'events', table: 'raw_events' });
    assert.equal((await createLoader({ ...defaultLoaderSettings(), store, warehouse }).runOnce()).ok, true);
    const holder = start(HOLD_LOCK, [path, '1000'], dir);
    const held = finished(holder);
    await new Promise<void>((resolve, reject) => {
      holder.stdout?.on('data', (d) => String(d).includes('held') && resolve());
      holder.on('exit', () => reject(new Error('the lock holder exited early')));
    });
    const started = Date.now();
    const result = await queryDuckDb(path, 'select count(*) as n from events.raw_events');
    assert.ok(Date.now() - started >= 500, 'waited for the other process');
    assert.deepEqual(result.rows, [[2]]);
    assert.equal((await held).code, 0);
  });

  test('run loops until SIGTERM, then exits 0 after the running job', async () => {
    const { dir, store } = await dataDir();
    await putEventFile(store, ids(1, 2));
    const child = start(CLI, ['run', '--warehouse-loader-interval', '0.2'], dir);
    const exit = finished(child);
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (d) => {
        out += d;
        if (out.includes('load_run_finished')) resolve();
      });
      child.on('exit', () => reject(new Error(`exited early: ${out}`)));
    });
    child.kill('SIGTERM');
    const result = await exit;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /"message":"loader_stopping"[\s\S]*"message":"loader_stopped"/);
  });
});
