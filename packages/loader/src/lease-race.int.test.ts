// Two eventkit-loader processes over one data directory at once: `run --once`
// and `backfill` started together, as a scheduled job next to a backfill by
// hand. The loader lease (core/lease.ts) lets one of them merge at a time.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FileObjectStore } from '@eventkit/shared';
import { type CliProcess, startCli, startFakeGcs } from '@eventkit/testing';
import { leaseKey } from './core/lease.ts';
import { putEventFile } from './testing/fixtures.ts';
import { queryDuckDb } from './warehouse/duckdb/query.ts';

const HOLD_LOCK = fileURLToPath(new URL('./testing/hold-lock.ts', import.meta.url));

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const ids = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ message_id: `m${from + i}` }));

function loaderEnv(dataDir: string): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {
    EVENTKIT_DATA_DIR: dataDir,
    EVENTKIT_LOG_LEVEL: 'info',
    EVENTKIT_JSON_LOGS: 'true',
  };
  // The file store and DuckDB, whatever the developer's shell has set.
  for (const k of Object.keys(process.env)) {
    if (/^(GCP_|STORAGE_EMULATOR_HOST|EVENTKIT_(WAREHOUSE|EVENT_STORE|DUCKDB|STORAGE_PREFIX))/.test(k))
      env[k] = undefined;
  }
  return env;
}

/** Resolves with the exit codes, or stops both processes (by PID) after `ms`. */
async function exits(procs: CliProcess[], ms: number): Promise<(number | string)[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(async () => {
      for (const p of procs) await p.stop('SIGKILL', 1000);
      reject(
        new Error(`the loaders did not finish in ${ms} ms:\n${procs.map((p) => p.output()).join('\n---\n')}`),
      );
    }, ms);
  });
  try {
    return await Promise.race([Promise.all(procs.map((p) => p.exited)), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function waitFor(child: ChildProcess, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d) => String(d).includes(text) && resolve());
    child.on('exit', () => reject(new Error(`exited before "${text}"`)));
  });
}

test('run --once and backfill as two processes on one data directory: one merges at a time, each (source, message_id) once, and the other says it waited for or was refused the lease', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'eventkit-lease-race-'));
  dirs.push(dir);
  const store = new FileObjectStore(dir);
  await putEventFile(store, ids(1, 60), { at: '2026-11-27T10:00:00.000Z' });
  await putEventFile(store, ids(31, 90), { at: '2026-11-27T10:00:00.000Z', worker: 'w2' });
  await putEventFile(store, ids(61, 120), { at: '2026-11-27T11:00:00.000Z' });
  await putEventFile(store, ids(1, 120), { at: '2026-11-27T11:00:00.000Z', worker: 'w3' });

  // Whoever takes the lease first must still hold it when the other asks: a third
  // process keeps the DuckDB file busy for 3 s, so the first holder waits there
  // (up to 10 s) with the lease in hand.
  const path = join(dir, 'warehouse.duckdb');
  const holder = spawn(process.execPath, [HOLD_LOCK, path, '3000'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const holderExit = new Promise((r) => holder.once('exit', r));
  await waitFor(holder, 'held');

  const env = loaderEnv(dir);
  const run = await startCli({ pkg: 'loader', args: ['run', '--once'], env });
  const backfill = await startCli({
    pkg: 'loader',
    args: ['backfill', '--from', '2026-11-27', '--to', '2026-11-27'],
    env,
  });
  const [runExit, backfillExit] = await exits([run, backfill], 60_000);
  await holderExit;
  assert.equal(runExit, 0, run.output());
  assert.equal(backfillExit, 0, backfill.output());

  // The contention happened, and was said: the run was refused (it exits 0, the
  // backfill loads), or the backfill waited for the run to finish.
  const runSkipped = /"message":"load_run_skipped"/.test(run.output());
  const backfillWaited = /"message":"loader_lease_wait"/.test(backfill.output());
  assert.equal(
    Number(runSkipped) + Number(backfillWaited),
    1,
    `exactly one loader met the other's lease:\n${run.output()}\n---\n${backfill.output()}`,
  );
  t.diagnostic(
    runSkipped
      ? 'the backfill held the lease; the run was refused'
      : 'the run held the lease; the backfill waited',
  );
  if (runSkipped) assert.match(run.output(), /"reason":"another loader holds the lease"/);

  const { rows } = await queryDuckDb(
    path,
    `select count(*) as n, count(distinct (source, message_id)) as keys from events.raw_events`,
  );
  assert.deepEqual(rows, [[120, 120]], 'every event once');
  assert.equal(await store.stat(leaseKey('', 'events.raw_events')), undefined, 'the lease was released');
});

test('two run --once processes over a GCS bucket (the fake server): the lease object in the bucket lets one run, the other is refused and exits 0', async (t) => {
  // No event files: DuckDB cannot read gs:// objects from the fake server, so this run
  // proves the lease across processes with the real storage client, not the loading.
  const gcs = await startFakeGcs();
  t.after(() => gcs.close());
  gcs.createBucket('lake');
  const dir = await mkdtemp(join(tmpdir(), 'eventkit-lease-gcs-'));
  dirs.push(dir);
  const path = join(dir, 'warehouse.duckdb');
  // As above: the first holder waits on the DuckDB file (held 3 s) with the lease in hand.
  const holder = spawn(process.execPath, [HOLD_LOCK, path, '3000'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const holderExit = new Promise((r) => holder.once('exit', r));
  await waitFor(holder, 'held');

  const env = {
    ...loaderEnv(dir),
    EVENTKIT_EVENT_STORE: 'gcs',
    GCP_GCS_BUCKET: 'lake',
    EVENTKIT_WAREHOUSE: 'duckdb',
    EVENTKIT_DUCKDB_PATH: path,
    STORAGE_EMULATOR_HOST: gcs.url,
  };
  const args = ['run', '--once'];
  const first = await startCli({ pkg: 'loader', args, env });
  const second = await startCli({ pkg: 'loader', args, env });
  const codes = await exits([first, second], 60_000);
  await holderExit;
  assert.deepEqual(codes, [0, 0], `${first.output()}\n---\n${second.output()}`);
  const skipped = [first, second].filter((p) => /"message":"load_run_skipped"/.test(p.output()));
  assert.equal(skipped.length, 1, `${first.output()}\n---\n${second.output()}`);

  const key = leaseKey('', 'events.raw_events');
  const takes = gcs.requestsTo('POST', '/upload/').filter((r) => r.query.name === key);
  assert.ok(
    takes.length >= 1 && takes.every((r) => r.query.ifGenerationMatch !== undefined),
    'every lease write is conditional',
  );
  assert.equal(gcs.object('lake', key), undefined, 'released by the holder');
});
