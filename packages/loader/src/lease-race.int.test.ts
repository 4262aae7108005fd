// Two eventkit-loader processes at once over the same files: a scheduled
// `run --once` next to a `backfill` by hand, or two overlapping `run --once`
// jobs. The loader lease (core/lease.ts) lets one of them merge at a time.
//
// The contention is made certain, not left to timing on a busy machine: a
// third process holds the DuckDB file, so the first loader, once it has the
// lease, waits there with the lease in hand; the second starts then, and the
// file is let go only after the second said what it does about the lease.
// (Loaders racing for a free lease at the same instant: lease.int.test.ts and
// the object store contract.)
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileObjectStore } from '@eventkit/shared/local';
import { type CliProcess, startCli, startFakeGcs } from '@eventkit/testing';
import { afterAll, describe, test } from 'vitest';
import { leaseKey } from './core/lease.ts';
import { putEventFile } from './testing/fixtures.ts';
import { queryDuckDb } from './warehouse/duckdb/query.ts';

const HOLD_LOCK = fileURLToPath(new URL('./testing/hold-lock.ts', import.meta.url));

const dirs: string[] = [];
afterAll(async () => {
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

/** Polls `check` every 50 ms for up to `ms`. */
async function until(what: string, check: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Contention {
  first: CliProcess;
  second: CliProcess;
  codes: (number | string)[];
}

/**
 * Starts `first`, waits until it holds the lease (and is held up on the DuckDB
 * file), starts `second`, waits until its output matches `said`, then lets the
 * file go and waits for both to exit.
 */
async function contend(opts: {
  duckdb: string;
  env: Record<string, string | undefined>;
  first: string[];
  second: string[];
  leaseHeld: () => Promise<boolean>;
  said: RegExp;
}): Promise<Contention> {
  const holder = spawn(process.execPath, [HOLD_LOCK, opts.duckdb, '60000'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const holderExit = new Promise((r) => holder.once('exit', r));
  try {
    await waitFor(holder, 'held');
    const first = await startCli({ pkg: 'loader', args: opts.first, env: opts.env });
    await until('the first loader to take the lease', opts.leaseHeld);
    const second = await startCli({ pkg: 'loader', args: opts.second, env: opts.env });
    await until(`the second loader to log ${opts.said}`, () => opts.said.test(second.output()));
    holder.kill('SIGTERM');
    await holderExit;
    return { first, second, codes: await exits([first, second], 60_000) };
  } finally {
    if (holder.exitCode === null && holder.signalCode === null) holder.kill('SIGKILL');
  }
}

async function dataDirWithEvents(): Promise<{ dir: string; store: FileObjectStore }> {
  const dir = await mkdtemp(join(tmpdir(), 'eventkit-lease-race-'));
  dirs.push(dir);
  const store = new FileObjectStore(dir);
  await putEventFile(store, ids(1, 60), { at: '2026-11-27T10:00:00.000Z' });
  await putEventFile(store, ids(31, 90), { at: '2026-11-27T10:00:00.000Z', worker: 'w2' });
  await putEventFile(store, ids(61, 120), { at: '2026-11-27T11:00:00.000Z' });
  await putEventFile(store, ids(1, 120), { at: '2026-11-27T11:00:00.000Z', worker: 'w3' });
  return { dir, store };
}

async function everyEventOnce(dir: string): Promise<void> {
  const { rows } = await queryDuckDb(
    join(dir, 'warehouse.duckdb'),
    `select count(*) as n, count(distinct (source, message_id)) as keys from events.raw_events`,
  );
  assert.deepEqual(rows, [[120, 120]], 'every event once');
}

const KEY = leaseKey('', 'events.raw_events');
const BACKFILL = ['backfill', '--from', '2026-11-27', '--to', '2026-11-27'];

describe('two eventkit-loader processes over the same files', () => {
  test('run --once holds the lease: a backfill started meanwhile waits for it, then loads; every (source, message_id) once', async () => {
    const { dir, store } = await dataDirWithEvents();
    const { first, second, codes } = await contend({
      duckdb: join(dir, 'warehouse.duckdb'),
      env: loaderEnv(dir),
      first: ['run', '--once'],
      second: BACKFILL,
      leaseHeld: async () => (await store.stat(KEY)) !== undefined,
      said: /"message":"loader_lease_wait"/,
    });
    assert.deepEqual(codes, [0, 0], `${first.output()}\n---\n${second.output()}`);
    assert.match(first.output(), /"message":"load_run_finished"/);
    assert.match(second.output(), /"message":"loader_lease_acquired"/);
    assert.match(
      second.output(),
      /backfill 2026-11-27\.\.2026-11-27: 4 files in \d+ jobs, 300 rows read, 0 rows inserted/,
    );
    await everyEventOnce(dir);
    assert.equal(await store.stat(KEY), undefined, 'released');
  });

  test('a backfill holds the lease: run --once started meanwhile is refused, loads nothing and exits 0; the backfill loads every event once', async () => {
    const { dir, store } = await dataDirWithEvents();
    const { first, second, codes } = await contend({
      duckdb: join(dir, 'warehouse.duckdb'),
      env: loaderEnv(dir),
      first: BACKFILL,
      second: ['run', '--once'],
      leaseHeld: async () => (await store.stat(KEY)) !== undefined,
      said: /"message":"load_run_skipped"/,
    });
    assert.deepEqual(codes, [0, 0], `${first.output()}\n---\n${second.output()}`);
    assert.match(second.output(), /"reason":"another loader holds the lease"/);
    assert.doesNotMatch(second.output(), /load_job_finished/);
    assert.match(
      first.output(),
      /backfill 2026-11-27\.\.2026-11-27: 4 files in \d+ jobs, 300 rows read, 120 rows inserted/,
    );
    await everyEventOnce(dir);
  });

  test('two run --once over a GCS bucket (the fake server): the lease object in the bucket lets one run, the other is refused and exits 0', async (t) => {
    // No event files: DuckDB cannot read gs:// objects from the fake server, so this
    // proves the lease across processes with the real storage client, not the loading.
    const gcs = await startFakeGcs();
    t.onTestFinished(() => gcs.close());
    gcs.createBucket('lake');
    const dir = await mkdtemp(join(tmpdir(), 'eventkit-lease-gcs-'));
    dirs.push(dir);
    const duckdb = join(dir, 'warehouse.duckdb');
    const env = {
      ...loaderEnv(dir),
      EVENTKIT_EVENT_STORE: 'gcs',
      GCP_GCS_BUCKET: 'lake',
      EVENTKIT_WAREHOUSE: 'duckdb',
      EVENTKIT_DUCKDB_PATH: duckdb,
      STORAGE_EMULATOR_HOST: gcs.url,
    };
    const { first, second, codes } = await contend({
      duckdb,
      env,
      first: ['run', '--once'],
      second: ['run', '--once'],
      leaseHeld: async () => gcs.object('lake', KEY) !== undefined,
      said: /"message":"load_run_skipped"/,
    });
    assert.deepEqual(codes, [0, 0], `${first.output()}\n---\n${second.output()}`);
    assert.match(second.output(), /"lease_owner":"[^"]+"/);
    const writes = gcs.requestsTo('POST', '/upload/').filter((r) => r.query.name === KEY);
    assert.ok(
      writes.length >= 1 && writes.every((r) => r.query.ifGenerationMatch !== undefined),
      'every lease write is conditional',
    );
    assert.equal(gcs.object('lake', KEY), undefined, 'released by the holder');
  });
});
