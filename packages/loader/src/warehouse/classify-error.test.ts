// How each warehouse tells a file that can never load from a failure to retry
// (Warehouse.classifyError; the loader quarantines only on 'data', or on
// 'unknown' when other files of the group loaded: core/quarantine.ts).
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BigQuery } from '@google-cloud/bigquery';
import { test } from 'vitest';
import { writeParquet } from '../testing/fixtures.ts';
import { BigQueryWarehouse } from './bigquery/bigquery-warehouse.ts';
import { BigQueryJobError } from './bigquery/jobs.ts';
import { DuckDbLockedError } from './duckdb/duckdb-file.ts';
import { DuckDbWarehouse } from './duckdb/duckdb-warehouse.ts';

test('DuckDB: a lone surrogate and a corrupt file are data; a lock is transient; a file of another schema is unknown', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'eventkit-classify-'));
  try {
    const warehouse = new DuckDbWarehouse({
      path: join(dir, 'w.duckdb'),
      dataset: 'events',
      table: 'raw_events',
    });
    await warehouse.ensureTables();
    const failure = async (path: string) => {
      const files = [{ key: 'k', uri: path, size: 1 }];
      try {
        await warehouse.load({ id: `job-${path}`, table: 'events', files, dedupWindowDays: 7 });
      } catch (err) {
        return err;
      }
      assert.fail(`${path} loaded`);
    };
    const surrogate = join(dir, 'surrogate.parquet');
    await writeParquet(surrogate, [{ message_id: 'm', properties: JSON.stringify({ s: '\uD800' }) }]);
    const corrupt = join(dir, 'corrupt.parquet');
    await writeFile(corrupt, 'not parquet');
    assert.equal(warehouse.classifyError(await failure(surrogate)), 'data');
    assert.equal(warehouse.classifyError(await failure(corrupt)), 'data');
    assert.equal(warehouse.classifyError(new DuckDbLockedError('in use')), 'transient');
    assert.equal(warehouse.classifyError(new Error('Binder Error: column not found')), 'unknown');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('BigQuery: a job failing invalid is unknown (one file or a schema drift); quotas and the rest are transient', () => {
  const warehouse = new BigQueryWarehouse({ client: {} as BigQuery, dataset: 'd', table: 't' });
  assert.equal(
    warehouse.classifyError(new BigQueryJobError('j', { reason: 'invalid', message: 'bad' })),
    'unknown',
  );
  assert.equal(warehouse.classifyError(new BigQueryJobError('j', { reason: 'backendError' })), 'transient');
  assert.equal(warehouse.classifyError(new BigQueryJobError('j', { reason: 'quotaExceeded' })), 'transient');
  assert.equal(warehouse.classifyError(new Error('socket hang up')), 'transient');
});
