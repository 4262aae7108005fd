import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BigQuery, type Job, type JobMetadata } from '@google-cloud/bigquery';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, beforeEach, describe, test } from 'vitest';
import { type FakeGcsServer, startFakeGcs } from '../fake-gcs/fake-gcs-server.ts';
import { TEST_ACCESS_TOKEN } from '../http/auth.ts';
import {
  bigQueryErrors,
  type FakeBigQueryServer,
  jobError,
  startFakeBigQuery,
} from './fake-bigquery-server.ts';

const DATASET = 'eventkit';
const EVENTS_SCHEMA = {
  fields: [
    { name: 'message_id', type: 'STRING', mode: 'REQUIRED' },
    { name: 'source', type: 'STRING', mode: 'REQUIRED' },
    { name: 'stream', type: 'STRING' },
    { name: 'type', type: 'STRING' },
    { name: 'event', type: 'STRING' },
    { name: 'received_at', type: 'TIMESTAMP', mode: 'REQUIRED' },
    { name: 'properties', type: 'JSON' },
  ],
};

/** Polls like a loader would, but without the client's 500 ms default interval. */
async function pollToDone(job: Job): Promise<string[]> {
  const states: string[] = [];
  for (let i = 0; i < 20; i++) {
    const [metadata] = await job.getMetadata();
    states.push(metadata.status.state);
    if (metadata.status.state === 'DONE') return states;
  }
  assert.fail(`job ${job.id} never finished: ${states.join(' → ')}`);
}

describe('fake BigQuery with the real @google-cloud/bigquery client', () => {
  let gcs: FakeGcsServer;
  let server: FakeBigQueryServer;
  let bigquery: BigQuery;
  let storage: Storage;

  beforeAll(async () => {
    gcs = await startFakeGcs();
    server = await startFakeBigQuery({ gcs });
    storage = new Storage(gcs.clientOptions());
  });
  afterAll(async () => {
    await server.close();
    await gcs.close();
  });
  beforeEach(() => {
    server.reset();
    gcs.reset();
    bigquery = new BigQuery(server.clientOptions({ fastRetries: true }));
  });

  test('creates a dataset and a partitioned, clustered table; the request body is recorded', async () => {
    const [dataset] = await bigquery.createDataset(DATASET, { location: 'EU' });
    await dataset.createTable('events', {
      schema: EVENTS_SCHEMA,
      timePartitioning: { type: 'DAY', field: 'received_at' },
      clustering: { fields: ['stream', 'type', 'event'] },
    });

    const [createTable] = server.requestsTo('POST', `/datasets/${DATASET}/tables`);
    assert.deepEqual(createTable?.body, {
      schema: EVENTS_SCHEMA,
      timePartitioning: { type: 'DAY', field: 'received_at' },
      clustering: { fields: ['stream', 'type', 'event'] },
      tableReference: { projectId: 'test-project', datasetId: DATASET, tableId: 'events' },
    });
    assert.equal(createTable?.headers.authorization, `Bearer ${TEST_ACCESS_TOKEN}`);
    assert.deepEqual(server.requestsTo('POST', '/datasets').at(0)?.body, {
      location: 'EU',
      datasetReference: { datasetId: DATASET },
    });

    const [metadata] = await dataset.table('events').getMetadata();
    assert.deepEqual(metadata.timePartitioning, { type: 'DAY', field: 'received_at' });
    assert.deepEqual(metadata.clustering, { fields: ['stream', 'type', 'event'] });
    assert.equal(metadata.location, 'EU');
    assert.deepEqual(server.table(DATASET, 'events')?.resource.schema, EVENTS_SCHEMA);

    const [exists] = await dataset.table('nope').exists();
    assert.equal(exists, false);
    await assert.rejects(dataset.createTable('events', { schema: EVENTS_SCHEMA }), { code: 409 });
    await dataset.table('events').delete();
    assert.equal(server.table(DATASET, 'events'), undefined);
  });

  test('a load job from gs:// URIs keeps its jobId; reusing the id answers 409 and the job can be fetched', async () => {
    await bigquery.createDataset(DATASET);
    gcs.createBucket('lake');
    const row = (id: string) =>
      `${JSON.stringify({ message_id: id, source: 'web', received_at: '2026-11-27T10:00:00Z' })}\n`;
    gcs.putObject('lake', 'events/stream=web/a.ndjson', row('1') + row('2'));
    gcs.putObject('lake', 'events/stream=web/b.ndjson', row('3'));
    server.pollsUntilDone = 2;

    const table = bigquery.dataset(DATASET).table('staging_run_1');
    const files = ['events/stream=web/a.ndjson', 'events/stream=web/b.ndjson'].map((k) =>
      storage.bucket('lake').file(k),
    );
    const metadata = {
      jobId: 'load-0123abcd',
      sourceFormat: 'NEWLINE_DELIMITED_JSON',
      schema: EVENTS_SCHEMA,
      createDisposition: 'CREATE_IF_NEEDED',
      writeDisposition: 'WRITE_APPEND',
    };
    const [job] = await table.createLoadJob(files, { ...metadata });
    assert.equal(job.id, 'load-0123abcd');
    assert.equal(job.metadata.status.state, 'PENDING');

    const [insert] = server.requestsTo('POST', '/projects/test-project/jobs');
    const sent = insert?.body as {
      jobReference: { jobId: string };
      configuration: { load: Record<string, unknown> };
    };
    assert.equal(sent.jobReference.jobId, 'load-0123abcd');
    assert.deepEqual(sent.configuration.load.sourceUris, [
      'gs://lake/events/stream=web/a.ndjson',
      'gs://lake/events/stream=web/b.ndjson',
    ]);
    assert.deepEqual(sent.configuration.load.destinationTable, {
      projectId: 'test-project',
      datasetId: DATASET,
      tableId: 'staging_run_1',
    });
    assert.equal(sent.configuration.load.sourceFormat, 'NEWLINE_DELIMITED_JSON');
    assert.equal(sent.configuration.load.writeDisposition, 'WRITE_APPEND');

    assert.deepEqual(await pollToDone(job), ['RUNNING', 'DONE']);
    const [done] = await job.getMetadata();
    assert.equal(done.statistics.load.outputRows, '3');
    assert.equal(done.statistics.load.inputFiles, '2');
    assert.deepEqual(server.table(DATASET, 'staging_run_1')?.loadedUris, sent.configuration.load.sourceUris);

    // The same id again (a retried run): BigQuery's 409 duplicate, and the first job is still there.
    await assert.rejects(
      table.createLoadJob(files, { ...metadata }),
      (err: { code?: number; errors?: { reason: string }[] }) => {
        assert.equal(err.code, 409);
        assert.equal(err.errors?.[0]?.reason, 'duplicate');
        return true;
      },
    );
    const [existing] = await bigquery.job('load-0123abcd', { location: 'US' }).getMetadata();
    assert.equal(existing.status.state, 'DONE');
    assert.equal(existing.configuration.load.sourceUris.length, 2);
    assert.equal(server.jobs().length, 1);
  });

  test('a load job through bigquery.createJob with a missing source URI fails with notFound', async () => {
    await bigquery.createDataset(DATASET);
    gcs.createBucket('lake');
    const [job] = await bigquery.createJob({
      jobId: 'load-missing',
      configuration: {
        load: {
          sourceUris: ['gs://lake/events/none-*.parquet'],
          sourceFormat: 'PARQUET',
          destinationTable: { projectId: 'test-project', datasetId: DATASET, tableId: 'staging' },
        },
      },
    });
    job.pollIntervalMs = 10;
    await assert.rejects(job.promise(), /Not found: URI gs:\/\/lake\/events\/none-\*\.parquet/);
    assert.equal(server.job('load-missing')?.errorResult?.reason, 'notFound');
  });

  test('table.load(localFile) uploads the data with the job (multipart /upload endpoint)', async () => {
    await bigquery.createDataset(DATASET);
    const dir = mkdtempSync(join(tmpdir(), 'eventkit-bq-'));
    try {
      const file = join(dir, 'rows.json');
      writeFileSync(file, '{"a":1}\n{"a":2}\n');
      await bigquery
        .dataset(DATASET)
        .table('uploaded')
        .load(file, { jobId: 'upload-1', schema: { fields: [{ name: 'a', type: 'INTEGER' }] } });
      const job = server.job('upload-1');
      assert.equal(job?.uploadedData?.toString(), '{"a":1}\n{"a":2}\n');
      assert.equal(server.requestsTo('POST', '/upload/bigquery/v2/projects/test-project/jobs').length, 1);
      assert.equal(server.table(DATASET, 'uploaded')?.resource.numRows, '2');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a query job with parameters is polled PENDING → RUNNING → DONE and returns the scripted rows', async () => {
    server.pollsUntilDone = 3;
    const seen: { sql: string; params: unknown }[] = [];
    server.onQuery((sql, { params }) => {
      seen.push({ sql, params });
      if (!sql.includes('_loaded_files')) return undefined;
      return [
        { key: 'events/a.parquet', rows: 2, loaded_at: new Date('2026-11-27T06:00:00Z') },
        { key: 'events/b.parquet', rows: 5, loaded_at: new Date('2026-11-27T06:05:00Z') },
      ];
    });
    const sql = 'SELECT key, rows, loaded_at FROM `eventkit._loaded_files` WHERE key IN UNNEST(@keys)';
    const [job] = await bigquery.createQueryJob({
      query: sql,
      params: { keys: ['events/a.parquet', 'events/b.parquet'] },
      jobId: 'q-1',
    });
    assert.equal(job.metadata.status.state, 'PENDING');
    assert.deepEqual(await pollToDone(job), ['RUNNING', 'RUNNING', 'DONE']);

    const [rows] = await job.getQueryResults();
    assert.deepEqual(
      rows.map((r) => [r.key, r.rows, r.loaded_at.value]),
      [
        ['events/a.parquet', 2, '2026-11-27T06:00:00.000Z'],
        ['events/b.parquet', 5, '2026-11-27T06:05:00.000Z'],
      ],
    );
    assert.deepEqual(seen, [{ sql, params: { keys: ['events/a.parquet', 'events/b.parquet'] } }]);
    const [insert] = server.requestsTo('POST', '/jobs');
    assert.ok(insert);
    const query = (insert.body as { configuration: { query: Record<string, unknown> } }).configuration.query;
    assert.equal(query.query, sql);
    assert.equal(query.useLegacySql, false);
    assert.deepEqual(query.queryParameters, [
      {
        name: 'keys',
        parameterType: { type: 'ARRAY', arrayType: { type: 'STRING' } },
        parameterValue: { arrayValues: [{ value: 'events/a.parquet' }, { value: 'events/b.parquet' }] },
      },
    ]);
  });

  test('bigquery.query() (jobs.query + getQueryResults while not complete) and a MERGE with its DML stats', async () => {
    server.pollsUntilDone = 2;
    server.onQuery((sql) => (sql.startsWith('MERGE') ? { affectedRows: 7 } : [{ n: 1 }]));
    const [rows] = await bigquery.query('SELECT 1 AS n');
    assert.deepEqual(rows, [{ n: 1 }]);
    const reads = server.requestsTo('GET', '/queries/');
    assert.ok(reads.length >= 2, 'the client polled getQueryResults while the job was running');

    const [merge] = await bigquery.createQueryJob({
      query:
        'MERGE `eventkit.events` T USING `eventkit.staging_1` S ON T.message_id = S.message_id AND T.source = S.source WHEN NOT MATCHED THEN INSERT ROW',
      jobId: 'merge-run-1',
    });
    merge.pollIntervalMs = 10;
    const [metadata] = (await merge.promise()) as [JobMetadata];
    assert.equal(metadata?.statistics?.query?.statementType, 'MERGE');
    assert.equal(metadata?.statistics?.query?.numDmlAffectedRows, '7');
    assert.deepEqual(metadata?.statistics?.query?.dmlStats, { insertedRowCount: '7' });
    assert.deepEqual(server.queries().at(-1)?.startsWith('MERGE'), true);
  });

  test("a failed job surfaces its errorResult through the client's polling and getMetadata", async () => {
    server.pollsUntilDone = 1;
    server.onJob((job) =>
      job.sql?.includes('broken')
        ? { errorResult: jobError('invalidQuery', 'Syntax error: Unexpected identifier "broken" at [1:8]') }
        : undefined,
    );
    const [job] = await bigquery.createQueryJob({ query: 'SELECT broken', jobId: 'bad-1' });
    job.pollIntervalMs = 10;
    await assert.rejects(job.promise(), (err: { message: string; errors?: { reason: string }[] }) => {
      assert.match(err.message, /Syntax error: Unexpected identifier "broken"/);
      assert.equal(err.errors?.[0]?.reason, 'invalidQuery');
      return true;
    });
    const [metadata] = await bigquery.job('bad-1').getMetadata();
    assert.deepEqual(metadata.status.errorResult, {
      reason: 'invalidQuery',
      message: 'Syntax error: Unexpected identifier "broken" at [1:8]',
    });
    await assert.rejects(bigquery.query('SELECT broken'), { code: 400, message: /Syntax error/ });
  });

  test('HTTP faults: 503 is retried, 403 rateLimitExceeded and quotaExceeded surface in BigQuery format; latency', async () => {
    await bigquery.createDataset(DATASET);
    server.faults.failNext(1, { ...bigQueryErrors.backendError(), method: 'POST', path: '/jobs' });
    const [job] = await bigquery.createQueryJob({ query: 'SELECT 1', jobId: 'retried-1' });
    assert.equal(job.id, 'retried-1');
    assert.deepEqual(
      server.requestsTo('POST', '/jobs').map((r) => [r.status, r.injected]),
      [
        [503, true],
        [200, false],
      ],
    );

    // The client decides on retries from the status alone, so a rate limit reaches the caller.
    for (const [spec, reason] of [
      [bigQueryErrors.rateLimitExceeded(), 'rateLimitExceeded'],
      [bigQueryErrors.quotaExceeded(), 'quotaExceeded'],
    ] as const) {
      server.faults.failNext(1, { ...spec, method: 'POST', path: '/tables' });
      await assert.rejects(
        bigquery.dataset(DATASET).createTable('t', { schema: EVENTS_SCHEMA }),
        (err: { code?: number; errors?: { reason: string; domain: string }[] }) => {
          assert.equal(err.code, 403);
          assert.equal(err.errors?.[0]?.reason, reason);
          assert.equal(err.errors?.[0]?.domain, 'usageLimits');
          return true;
        },
      );
    }
    assert.equal(server.requestsTo('POST', '/tables').length, 2, 'neither 403 was retried');
    assert.equal(server.table(DATASET, 't'), undefined);

    server.faults.latencyMs = 60;
    const started = performance.now();
    await bigquery.dataset(DATASET).get();
    assert.ok(performance.now() - started >= 55);
  });

  // https://cloud.google.com/bigquery/docs/reference/standard-sql/json_functions#json_type (the outermost
  // value's type by name; SQL NULL for SQL NULL), operators#json_subscript_operator (a STRING field name;
  // SQL NULL when not found), conversion_functions#safe_casting (NULL instead of an error) and
  // conversion_functions#cast_as_bool ("true"/"false", case-insensitive).
  test('JSON_TYPE of a value and of a field by a key expression; SAFE_CAST gives NULL where the cast fails', async () => {
    const [types] = await bigquery.query(
      `SELECT k, JSON_TYPE(j[k]) AS t FROM (SELECT PARSE_JSON(s, wide_number_mode => 'round') AS j FROM (SELECT '{"i":1,"f":-2.5,"s":"x","b":true,"n":null,"o":{"p":1},"a":[1],"x y.z":2}' AS s)) AS t, UNNEST(JSON_KEYS(j, 1)) AS k ORDER BY k`,
    );
    assert.deepEqual(types, [
      { k: 'a', t: 'array' },
      { k: 'b', t: 'boolean' },
      { k: 'f', t: 'number' },
      { k: 'i', t: 'number' },
      { k: 'n', t: 'null' },
      { k: 'o', t: 'object' },
      { k: 's', t: 'string' },
      { k: 'x y.z', t: 'number' },
    ]);
    const [[missing]] = await bigquery.query(
      `SELECT JSON_TYPE(j['zz']) AS gone, JSON_TYPE(j) AS whole FROM (SELECT PARSE_JSON('{}', wide_number_mode => 'round') AS j)`,
    );
    assert.deepEqual(missing, { gone: null, whole: 'object' });
    const [[cast]] = await bigquery.query(
      `SELECT SAFE_CAST('2.5' AS FLOAT64) AS f, SAFE_CAST('abc' AS FLOAT64) AS bad, SAFE_CAST('TRUE' AS BOOL) AS t,
        SAFE_CAST('false' AS BOOL) AS f2, SAFE_CAST('yes' AS BOOL) AS yes, SAFE_CAST('1' AS BOOL) AS one`,
    );
    assert.deepEqual(cast, { f: 2.5, bad: null, t: true, f2: false, yes: null, one: null });
    await assert.rejects(bigquery.query(`SELECT SAFE_CAST('1' AS INT64) AS i`), /SAFE_CAST/);
  });
});
