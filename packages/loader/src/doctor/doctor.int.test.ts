// `eventkit-loader doctor`: the local set-up (data directory, DuckDB) through
// the real CLI, and the BigQuery check against the fake BigQuery driven by the
// real client: a dataset in another location than GCP_BIGQUERY_LOCATION fails
// with the setting to change (BigQuery runs a job only where its datasets are:
// https://cloud.google.com/bigquery/docs/locations), a missing one is a
// warning (the loader creates it on its first run), a present one passes with
// a dry-run job accepted.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runChecks } from '@eventkit/shared/doctor';
import { REPO_ROOT, startFakeBigQuery, startFakeGcs } from '@eventkit/testing';
import { BigQuery } from '@google-cloud/bigquery';
import { afterAll, describe, test } from 'vitest';
import { bigQueryCheck } from './checks.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

const doctor = (args: string[]) => {
  const res = spawnSync(process.execPath, [`${REPO_ROOT}packages/loader/src/cli.ts`, 'doctor', ...args], {
    encoding: 'utf8',
    env: { ...process.env, METADATA_SERVER_DETECTION: 'none' },
    timeout: 60_000,
  });
  return { code: res.status, out: res.stdout + res.stderr };
};

describe('eventkit-loader doctor (local: data directory and DuckDB)', () => {
  test('healthy → exit 0; the data directory a file → FAIL naming EVENTKIT_DATA_DIR, exit 1', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'eventkit-loader-doctor-'));
    const ok = doctor(['--data-dir', dir]);
    assert.equal(ok.code, 0, ok.out);
    assert.match(ok.out, /^ok {4}write to .+ wrote, read back and deleted a probe object$/m);
    assert.match(ok.out, /all 2 checks passed/);
    const file = path.join(dir, 'not-a-dir');
    await writeFile(file, 'x');
    const broken = doctor(['--data-dir', file]);
    assert.equal(broken.code, 1, broken.out);
    assert.match(broken.out, /^FAIL {2}/m);
    assert.match(broken.out, /EVENTKIT_DATA_DIR/);
  });
});

describe('the BigQuery check (fake BigQuery, real client)', () => {
  test('dataset in another location → FAIL naming GCP_BIGQUERY_LOCATION; missing → warn; present → ok with a dry-run job', async () => {
    const gcs = await startFakeGcs();
    cleanups.push(() => gcs.close());
    const bq = await startFakeBigQuery({ gcs });
    cleanups.push(() => bq.close());
    const client = new BigQuery(bq.clientOptions({ fastRetries: true }));
    await client.createDataset('in_eu', { location: 'EU' });
    const [elsewhere, missing, there] = await runChecks([
      bigQueryCheck(client, 'in_eu', 'US'),
      bigQueryCheck(client, 'not_yet', 'EU'),
      bigQueryCheck(client, 'in_eu', 'EU'),
    ]);
    assert.equal(elsewhere?.status, 'fail', elsewhere?.detail);
    assert.match(elsewhere?.detail ?? '', /the dataset is in EU, but GCP_BIGQUERY_LOCATION is US/);
    assert.match(elsewhere?.fix ?? '', /GCP_BIGQUERY_LOCATION=EU/);
    assert.equal(missing?.status, 'warn', missing?.detail);
    assert.match(missing?.detail ?? '', /does not exist yet: the loader creates it in EU/);
    assert.equal(there?.status, 'ok', there?.detail);
    assert.match(there?.detail ?? '', /in EU; a dry-run query job was accepted/);
  });
});
