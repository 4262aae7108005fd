// Opt-in: the warehouse contract against a real BigQuery project. The fake
// server runs the same SQL through a GoogleSQL → DuckDB translation; this runs
// it on BigQuery itself (the merge transaction with its keys table, PARSE_JSON,
// the external-table count). It needs application default credentials and:
//   EVENTKIT_TEST_BIGQUERY_PROJECT  a project where it may create and delete a dataset
//   EVENTKIT_TEST_GCS_BUCKET        a bucket in the same location for the test files
//   EVENTKIT_TEST_BIGQUERY_LOCATION optional, default US
// Without them the test is reported as skipped.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { warehouseContract } from '@eventkit/shared/contracts';
import { createStorageClient, GcsObjectStore } from '@eventkit/shared/gcs';
import { BigQuery } from '@google-cloud/bigquery';
import { afterAll, test } from 'vitest';
import { eventKey, type RowInput, writeParquet } from '../../testing/fixtures.ts';
import { BigQueryWarehouse } from './bigquery-warehouse.ts';

const project = process.env.EVENTKIT_TEST_BIGQUERY_PROJECT;
const bucket = process.env.EVENTKIT_TEST_GCS_BUCKET;
const location = process.env.EVENTKIT_TEST_BIGQUERY_LOCATION ?? 'US';

if (!project || !bucket) {
  test('warehouse contract: bigquery (real project)', (t) => {
    t.skip(
      'set EVENTKIT_TEST_BIGQUERY_PROJECT and EVENTKIT_TEST_GCS_BUCKET (and application default credentials) to run it',
    );
  });
} else {
  const client = new BigQuery({ projectId: project, location });
  const store = new GcsObjectStore({ storage: createStorageClient({ projectId: project }), bucket });
  const dataset = `eventkit_test_${randomUUID().replaceAll('-', '_').slice(0, 12)}`;
  const prefix = `eventkit-test/${dataset}/`;
  const written: string[] = [];
  let tables = 0;

  afterAll(async () => {
    await client
      .dataset(dataset)
      .delete({ force: true })
      .catch(() => undefined);
    for (const key of written) await store.delete(key).catch(() => undefined);
  });

  warehouseContract('bigquery (real project)', async () => {
    const table = `raw_events_${++tables}`;
    const warehouse = new BigQueryWarehouse({ client, dataset, table, location, pollIntervalMs: 500 });
    const dir = await mkdtemp(join(tmpdir(), 'eventkit-bq-real-'));
    return {
      warehouse,
      async stageFile(rows) {
        const path = join(dir, `${randomUUID()}.parquet`);
        await writeParquet(path, rows as RowInput[]);
        const info = await store.put(`${prefix}${eventKey()}`, await readFile(path), { ifNotExists: true });
        written.push(info.key);
        return { key: info.key, uri: info.uri, size: info.size };
      },
      async eventKeys() {
        const [rows] = await client.query({
          query: `SELECT source, message_id FROM \`${project}.${dataset}.${table}\``,
          location,
        });
        return rows as { source: string; message_id: string }[];
      },
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  });

  test('JSON columns are JSON and loaded_at is set (real project)', async () => {
    const table = `raw_events_${++tables}`;
    const warehouse = new BigQueryWarehouse({ client, dataset, table, location, pollIntervalMs: 500 });
    await warehouse.ensureTables();
    const dir = await mkdtemp(join(tmpdir(), 'eventkit-bq-real-'));
    try {
      const path = join(dir, 'f.parquet');
      await writeParquet(path, [
        { message_id: 'j1', properties: '{"plan":"pro","big":12345678901234567890}' },
      ]);
      const info = await store.put(`${prefix}${eventKey()}`, await readFile(path), { ifNotExists: true });
      written.push(info.key);
      await warehouse.load({
        id: `events_real_${randomUUID().replaceAll('-', '')}`,
        table: 'events',
        files: [{ key: info.key, uri: info.uri, size: info.size }],
        dedupWindowDays: 7,
      });
      const [rows] = await client.query({
        query: `SELECT JSON_VALUE(properties, '$.plan') AS plan, loaded_at IS NOT NULL AS loaded FROM \`${project}.${dataset}.${table}\``,
        location,
      });
      assert.deepEqual(rows, [{ plan: 'pro', loaded: true }]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}
