// The commands in-process (cli.int.test.ts runs a few of them as real processes).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError } from '@eventkit/shared/cli';
import { loadLoaderConfig } from '@eventkit/shared/config';
import { FileObjectStore } from '@eventkit/shared/local';
import { silentLogger } from '@eventkit/shared/logging';
import { afterAll, describe, test } from 'vitest';
import { backfillCommand } from './commands/backfill.ts';
import { queryCommand } from './commands/query.ts';
import { releaseCommand } from './commands/release.ts';
import { runCommand } from './commands/run.ts';
import { statusCommand } from './commands/status.ts';
import { viewsCommand } from './commands/views.ts';
import { createWarehouse, loaderFromConfig, localRetention } from './compose.ts';
import { errorRow, otherSchemaParquet, putErrorFile, putEventFile } from './testing/fixtures.ts';
import { BigQueryWarehouse } from './warehouse/bigquery/bigquery-warehouse.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function setup() {
  const dir = await mkdtemp(join(tmpdir(), 'eventkit-main-'));
  dirs.push(dir);
  // Files kept (the fixtures' dates age): only the retention test deletes.
  const { config } = loadLoaderConfig({ EVENTKIT_DATA_DIR: dir, EVENTKIT_LOCAL_RETENTION_DAYS: '0' });
  return { dir, config, store: new FileObjectStore(dir), log: silentLogger() };
}

/** A stream that is not a terminal and collects what is written. */
function lines() {
  const out: string[] = [];
  const stream = { isTTY: false, write: (s: string) => out.push(s) > 0 } as unknown as NodeJS.WriteStream;
  return { out, stream };
}

const cliError = (code: number, message: RegExp) => (err: unknown) =>
  err instanceof CliError && err.exitCode === code && message.test(err.message);

// Bug: datasets always landed in the US (nothing passed a location to the warehouse).
test('GCP_BIGQUERY_LOCATION reaches the BigQuery warehouse (its dataset and every job)', async () => {
  const { config } = loadLoaderConfig({
    GCP_GCS_BUCKET: 'lake',
    GCP_PROJECT_ID: 'p',
    GCP_BIGQUERY_DATASET: 'analytics',
    GCP_BIGQUERY_LOCATION: 'europe-west1',
  });
  assert.equal(config.gcpBigqueryLocation, 'europe-west1');
  const warehouse = await createWarehouse(config);
  assert.ok(warehouse instanceof BigQueryWarehouse);
  assert.equal(warehouse.location, 'europe-west1');
});

test('the data directory (local mode) deletes loaded files past the dedup window + look-back, and the folders it empties', async () => {
  const s = await setup();
  const { config } = loadLoaderConfig({ EVENTKIT_DATA_DIR: s.dir });
  assert.equal(config.localRetentionDays, 8);
  assert.equal(localRetention(s.store, config).graceMs, 8 * 86_400_000);
  // Never below the dedup window plus the look-back.
  const short = loadLoaderConfig({ EVENTKIT_DATA_DIR: s.dir, EVENTKIT_LOCAL_RETENTION_DAYS: '1' }).config;
  assert.equal(localRetention(s.store, short).graceMs, (7 * 24 + 2) * 3_600_000);
  const old = await putEventFile(s.store, [{ message_id: 'm1' }], { at: '2026-11-01T10:15:00.000Z' });
  const loader = await loaderFromConfig(config, { logger: s.log });
  const report = await loader.runOnce();
  // The folder ended long before the grace period: loaded, then deleted in the same run.
  assert.deepEqual([report.files, report.filesDeleted], [1, 1]);
  assert.equal(await s.store.stat(old.key), undefined);
  assert.equal(existsSync(join(s.dir, 'events/stream=events/date=2026-11-01')), false);
  assert.equal(existsSync(join(s.dir, 'events/stream=events')), true);
});

test('release: a quarantined file becomes pending again; an unknown key is an error', async () => {
  const s = await setup();
  await putEventFile(s.store, [{ message_id: 'm1' }]);
  const bad = await s.store.put(
    'events/stream=events/date=2026-11-27/hour=10/w9-bad.parquet',
    Buffer.from('x'),
  );
  await runCommand(s.config, s.log, true);
  const before = JSON.parse(await statusCommand(s.config, s.log, true));
  assert.deepEqual([before.pending.files, before.quarantined.length], [0, 1]);
  assert.match(await releaseCommand(s.config, bad.key), /^released /);
  const after = JSON.parse(await statusCommand(s.config, s.log, true));
  assert.deepEqual([after.pending.files, after.quarantined.length], [1, 0]);
  await assert.rejects(releaseCommand(s.config, bad.key), cliError(1, /is not quarantined/));
});

describe('loader commands', () => {
  test('query: a table or JSON rows; clear errors for a missing warehouse, bad SQL and writes', async () => {
    const s = await setup();
    await assert.rejects(queryCommand(s.config, 'select 1', false), cliError(1, /nothing was loaded yet/));
    await putEventFile(s.store, [{ message_id: 'm1', properties: '{"plan":"pro"}' }, { message_id: 'm2' }]);
    await runCommand(s.config, s.log, true);

    assert.equal(
      await queryCommand(s.config, 'select message_id, received_at from events.raw_events order by 1', false),
      [
        'message_id | received_at',
        '-----------+-------------------------',
        'm1         | 2026-11-27T10:00:00.000Z',
        'm2         | 2026-11-27T10:00:00.000Z',
        '(2 rows)',
      ].join('\n'),
    );
    const json = JSON.parse(
      await queryCommand(
        s.config,
        "select count(*) as n, max(properties) filter (where message_id = 'm1') as p, null as z from events.raw_events",
        true,
      ),
    );
    assert.deepEqual(json, [{ n: 2, p: { plan: 'pro' }, z: null }]);
    await assert.rejects(queryCommand(s.config, 'select nope', false), cliError(1, /^Binder Error/));
    await assert.rejects(
      queryCommand(s.config, 'delete from events.raw_events', false),
      cliError(1, /read-only/),
    );
    const bigquery = { ...s.config, warehouse: 'bigquery' as const };
    await assert.rejects(
      queryCommand(bigquery, 'select 1', false),
      cliError(2, /EVENTKIT_WAREHOUSE is bigquery/),
    );
  });

  test('views: creates the Segment-shaped views and lists them; JSON for scripts; the views answer queries', async () => {
    const s = await setup();
    const now = new Date().toISOString();
    await putEventFile(
      s.store,
      [
        { message_id: 'm1', event: 'Order Completed', properties: '{"revenue":"5"}', received_at: now },
        { message_id: 'm2', event: '!!!', received_at: now },
      ],
      { at: now },
    );
    await runCommand(s.config, s.log, true);
    const text = await viewsCommand(s.config, s.log, false);
    assert.match(text, /^8 views in schema events of .*warehouse\.duckdb \(8 created or replaced\)$/m);
    assert.match(text, /^order_completed +\| event +\| 41 +\| Order Completed +\| created$/m);
    assert.match(text, /^ {2}!!!: no letter or digit in the event name$/m);
    const json = JSON.parse(await viewsCommand(s.config, s.log, true));
    assert.deepEqual(
      json.views.map((v: { name: string; kind: string }) => `${v.kind}:${v.name}`),
      [
        'call:tracks',
        'call:identifies',
        'users:users',
        'call:pages',
        'call:screens',
        'call:groups',
        'call:aliases',
        'event:order_completed',
      ],
    );
    assert.deepEqual(json.skipped, [{ name: '!!!', reason: 'no letter or digit in the event name' }]);
    assert.deepEqual(
      JSON.parse(await queryCommand(s.config, 'select event, revenue from events.order_completed', true)),
      [{ event: 'order_completed', revenue: '5' }],
    );
  });

  test('status: text for people, JSON for scripts', async () => {
    const s = await setup();
    await putEventFile(s.store, [{ message_id: 'm1' }]);
    await putErrorFile(s.store, [errorRow('e1')]);
    const text = await statusCommand(s.config, s.log, false);
    assert.match(text, /^warehouse {2}duckdb events\.raw_events in .*warehouse\.duckdb$/m);
    assert.match(text, /^pending {4}2 files \([\d.]+ KiB: 1 event, 1 dead-letter\), oldest \d+s old$/m);
    assert.match(text, /^loaded {5}0 files, 0 rows; last load never$/m);
    await runCommand(s.config, s.log, true);
    const json = JSON.parse(await statusCommand(s.config, s.log, true));
    assert.equal(json.pending.files, 0);
    assert.deepEqual([json.loaded.files, json.loaded.rows], [2, 2]);
    assert.ok(Date.now() - Date.parse(json.loaded.last_load_at) < 60_000);
  });

  test('run --once fails with exit 1 when a load fails; backfill reports progress lines off a terminal', async () => {
    const s = await setup();
    // Alone, a file of another schema may be a systemic fault: the run fails (it is not quarantined).
    await s.store.put(
      'events/stream=events/date=2026-11-27/hour=10/w9-bad.parquet',
      await otherSchemaParquet(),
    );
    await assert.rejects(runCommand(s.config, s.log, true), cliError(1, /^load failed: /));

    await s.store.delete('events/stream=events/date=2026-11-27/hour=10/w9-bad.parquet');
    await putEventFile(s.store, [{ message_id: 'm1' }]);
    const progress = lines();
    const summary = await backfillCommand(
      s.config,
      s.log,
      { from: '2026-11-27', to: '2026-11-27' },
      progress.stream,
    );
    assert.equal(
      summary,
      'backfill 2026-11-27..2026-11-27: 1 files in 1 jobs, 1 rows read, 1 rows inserted (the rest were already there)',
    );
    assert.match(progress.out[0] ?? '', /^backfill: 1 files \([\d.]+ KiB\) to load\n$/);
    assert.equal(progress.out.at(-1), 'backfill: 1/1 files (100%), 1 rows inserted\n');
    await assert.rejects(
      backfillCommand(s.config, s.log, { from: '2026-13-01', to: '2026-11-27' }, progress.stream),
      cliError(2, /--from: expected a date YYYY-MM-DD/),
    );
  });
});
