// BigQueryWarehouse with the real @google-cloud/bigquery client against the
// fake BigQuery server and the fake GCS. The fake reads the Parquet and NDJSON
// files the load jobs name (checking them against the staging schema) and runs
// the SQL the warehouse sends, translated to DuckDB (it fails on a construct
// its translation does not know). These tests assert the requests, and the
// warehouse contract runs on the fake's real tables.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { warehouseContract } from '@eventkit/shared/contracts';
import { WAREHOUSE_COLUMNS } from '@eventkit/shared/event';
import { createStorageClient, GcsObjectStore } from '@eventkit/shared/gcs';
import { ParquetEncoder } from '@eventkit/shared/parquet';
import type { LoadFile, LoadJob } from '@eventkit/shared/ports';
import {
  bigQueryErrors,
  type FakeBigQueryServer,
  type FakeGcsServer,
  jobError,
  startFakeBigQuery,
  startFakeGcs,
} from '@eventkit/testing';
import { BigQuery } from '@google-cloud/bigquery';
import { afterAll, beforeAll, beforeEach, describe, test } from 'vitest';
import { jobIdFor } from '../../core/grouping.ts';
import { createLoader } from '../../core/loader.ts';
import { errorRow, eventKey, type RowInput, writeParquet } from '../../testing/fixtures.ts';
import { defaultLoaderSettings } from '../../testing/settings.ts';
import { BigQueryWarehouse } from './bigquery-warehouse.ts';

const BUCKET = 'lake';
const DATASET = 'analytics';

interface Harness {
  bq: FakeBigQueryServer;
  gcs: FakeGcsServer;
  /** The rows a table of the dataset holds. */
  rows: (table: string) => Promise<Record<string, unknown>[]>;
  sleeps: number[];
  warehouse: (extra?: Partial<ConstructorParameters<typeof BigQueryWarehouse>[0]>) => BigQueryWarehouse;
  putEvents: (rows: RowInput[], key?: string) => Promise<LoadFile>;
  putErrors: (rows: Record<string, unknown>[]) => LoadFile;
  /** Forgets the fake's state and handlers. */
  reset: () => void;
}

async function harness(): Promise<Harness & { close(): Promise<void> }> {
  const gcs = await startFakeGcs();
  gcs.createBucket(BUCKET);
  const bq = await startFakeBigQuery({ gcs });
  const sleeps: number[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'eventkit-bq-'));
  const h: Harness & { close(): Promise<void> } = {
    bq,
    gcs,
    rows: (table) => bq.rows(DATASET, table),
    sleeps,
    reset() {
      bq.reset();
      sleeps.length = 0;
    },
    warehouse: (extra = {}) =>
      new BigQueryWarehouse({
        client: new BigQuery(bq.clientOptions({ fastRetries: true })),
        dataset: DATASET,
        table: 'raw_events',
        pollIntervalMs: 1,
        maxPollIntervalMs: 2,
        sleep: async (ms) => void sleeps.push(ms),
        ...extra,
      }),
    async putEvents(rows: RowInput[], key = eventKey()) {
      const path = join(dir, `${randomUUID()}.parquet`);
      await writeParquet(path, rows);
      const data = await readFile(path);
      gcs.putObject(BUCKET, key, data);
      return { key, uri: `gs://${BUCKET}/${key}`, size: data.length };
    },
    putErrors(rows: Record<string, unknown>[]) {
      const key = `errors/date=2026-11-27/error_type=validation/w1-${randomUUID()}.ndjson`;
      const body = rows.map((r) => `${JSON.stringify(r)}\n`).join('');
      gcs.putObject(BUCKET, key, body);
      return { key, uri: `gs://${BUCKET}/${key}`, size: Buffer.byteLength(body) };
    },
    async close() {
      await bq.close();
      await gcs.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return h;
}

warehouseContract('bigquery (fake server, SQL run by the fake)', async () => {
  const h = await harness();
  return {
    warehouse: h.warehouse(),
    stageFile: (rows) => h.putEvents(rows as RowInput[]),
    eventKeys: async () =>
      (await h.rows('raw_events')).map((r) => ({
        source: String(r.source),
        message_id: String(r.message_id),
      })),
    cleanup: () => h.close(),
  };
});

const jobOf = (files: LoadFile[], table: LoadJob['table'] = 'events'): LoadJob => ({
  id: jobIdFor(
    table,
    files.map((f) => f.key),
  ),
  table,
  files,
  dedupWindowDays: 7,
});

// Request bodies are JSON of any shape; the tests read into them freely.
// biome-ignore lint/suspicious/noExplicitAny: see above
type Body = Record<string, any>;
const queryParameters = (job: { configuration: Record<string, unknown> } | undefined): Body[] =>
  ((job?.configuration.query ?? {}) as Body).queryParameters ?? [];

describe('BigQueryWarehouse requests', () => {
  let h: Awaited<ReturnType<typeof harness>>;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(() => h.close());
  beforeEach(() => h.reset());

  test('creates the dataset, the partitioned and clustered tables with JSON columns, and the ledger, once', async () => {
    const w = h.warehouse({ location: 'EU' });
    await w.ensureTables();
    assert.deepEqual(h.bq.requestsTo('POST', '/datasets').at(0)?.body, {
      location: 'EU',
      datasetReference: { datasetId: DATASET },
    });
    const events = h.bq.table(DATASET, 'raw_events')?.resource as Body;
    assert.deepEqual(events.timePartitioning, { type: 'DAY', field: 'received_at' });
    assert.deepEqual(events.clustering, { fields: ['stream', 'type', 'event'] });
    const fields = events.schema.fields as Body[];
    assert.deepEqual(
      fields.map((f) => `${f.name}:${f.type}:${f.mode}`),
      [
        'message_id:STRING:REQUIRED',
        'source:STRING:REQUIRED',
        'type:STRING:REQUIRED',
        'event:STRING:NULLABLE',
        'name:STRING:NULLABLE',
        'user_id:STRING:NULLABLE',
        'anonymous_id:STRING:NULLABLE',
        'group_id:STRING:NULLABLE',
        'previous_id:STRING:NULLABLE',
        'stream:STRING:REQUIRED',
        'timestamp:TIMESTAMP:REQUIRED',
        'original_timestamp:TIMESTAMP:NULLABLE',
        'sent_at:TIMESTAMP:NULLABLE',
        'received_at:TIMESTAMP:REQUIRED',
        'loaded_at:TIMESTAMP:NULLABLE',
        'properties:JSON:NULLABLE',
        'traits:JSON:NULLABLE',
        'context:JSON:NULLABLE',
        'integrations:JSON:NULLABLE',
      ],
    );
    const errors = h.bq.table(DATASET, 'raw_events_errors')?.resource as Body;
    assert.deepEqual(errors.timePartitioning, { type: 'DAY', field: 'failed_at' });
    assert.ok((errors.schema.fields as Body[]).some((f) => f.name === 'payload' && f.type === 'JSON'));
    const ledger = h.bq.table(DATASET, '_loaded_files')?.resource as Body;
    assert.deepEqual(
      (ledger.schema.fields as Body[]).map((f) => f.name),
      ['key', 'target', 'job_id', 'row_count', 'loaded_at'],
    );
    assert.deepEqual(ledger.timePartitioning, { type: 'DAY', field: 'loaded_at' });

    const posts = h.bq.requests.filter((r) => r.method === 'POST').length;
    await h.warehouse().ensureTables();
    assert.equal(h.bq.requests.filter((r) => r.method === 'POST').length, posts, 'second time: reads only');
  });

  test('a load: staging table, PARQUET load job from the gs:// URIs, count, MERGE transaction, staging dropped', async () => {
    const w = h.warehouse();
    await w.ensureTables();
    const a = await h.putEvents([
      { message_id: 'm1', received_at: '2026-11-27T10:00:00.000Z' },
      { message_id: 'm2', received_at: '2026-11-27T11:00:00.000Z' },
    ]);
    const b = await h.putEvents([{ message_id: 'm2', received_at: '2026-11-27T12:00:00.000Z' }]);
    const job = jobOf([a, b]);
    const result = await w.load(job);
    assert.deepEqual(result, { jobId: job.id, rowsRead: 3, rowsInserted: 2, alreadyDone: false });

    const ids = h.bq.jobs().map((j) => j.reference.jobId);
    const base = ids.find((id) => id.endsWith('_load_1'))?.replace(/_load_1$/, '') ?? '';
    assert.match(base, new RegExp(`^eventkit_${job.id}_[0-9a-f]{8}$`));
    assert.deepEqual(
      ids.filter((id) => id.startsWith(base)),
      [`${base}_load_1`, `${base}_count_1`, `${base}_merge_1`],
    );

    const staging = `_eventkit_staging_raw_events_${job.id}`;
    const created = h.bq.requestsTo('POST', `/datasets/${DATASET}/tables`).at(-1)?.body as Body;
    assert.equal(created.tableReference.tableId, staging);
    assert.ok(Number(created.expirationTime) > Date.now());
    const stagingTypes = Object.fromEntries((created.schema.fields as Body[]).map((f) => [f.name, f.type]));
    assert.equal(stagingTypes.properties, 'STRING', 'JSON travels as STRING through Parquet');
    assert.equal(stagingTypes.received_at, 'TIMESTAMP');
    assert.equal(
      stagingTypes.loaded_at,
      'TIMESTAMP',
      'the files carry loaded_at (NULL), so the staging schema does',
    );

    const load = h.bq.job(`${base}_load_1`)?.configuration.load as Body;
    assert.deepEqual(load.sourceUris, [a.uri, b.uri]);
    assert.equal(load.sourceFormat, 'PARQUET');
    assert.equal(load.writeDisposition, 'WRITE_TRUNCATE');
    assert.equal(load.createDisposition, 'CREATE_NEVER');
    assert.deepEqual(load.destinationTable, {
      projectId: 'test-project',
      datasetId: DATASET,
      tableId: staging,
    });
    assert.deepEqual(load.schema.fields, created.schema.fields);

    const count = h.bq.job(`${base}_count_1`)?.configuration.query as Body;
    assert.deepEqual(count.tableDefinitions, {
      files: { sourceUris: [a.uri, b.uri], sourceFormat: 'PARQUET' },
    });
    assert.match(count.query, /_FILE_NAME AS uri, COUNT\(\*\) AS row_count, MIN\(`received_at`\)/);

    const merge = h.bq.job(`${base}_merge_1`);
    const sql = merge?.sql ?? '';
    assert.match(sql, /BEGIN TRANSACTION;\s*CREATE TEMP TABLE _eventkit_new AS/);
    assert.match(sql, new RegExp(`FROM \`test-project\\.analytics\\.${staging}\` AS S`));
    assert.match(
      sql,
      /QUALIFY ROW_NUMBER\(\) OVER \(PARTITION BY `source`, `message_id` ORDER BY `received_at`\) = 1/,
    );
    assert.match(
      sql,
      /FROM `test-project\.analytics\._eventkit_keys_raw_events` AS K\s+WHERE K\.`received_at` BETWEEN @window_start AND @window_end/,
    );
    assert.match(sql, /INSERT INTO `test-project\.analytics\.raw_events` \(/);
    assert.match(
      sql,
      /INSERT INTO `test-project\.analytics\._eventkit_keys_raw_events` \(`key_hash`, `received_at`\)/,
    );
    for (const column of ['properties', 'traits', 'context', 'integrations']) {
      assert.ok(sql.includes(`PARSE_JSON(N.\`${column}\`, wide_number_mode => 'round')`), column);
    }
    assert.match(
      sql,
      /INSERT INTO `test-project\.analytics\._loaded_files`[\s\S]*FROM UNNEST\(@files\)[\s\S]*COMMIT TRANSACTION;/,
    );
    const params = Object.fromEntries(queryParameters(merge).map((p) => [p.name, p]));
    assert.equal(
      params.window_start.parameterValue.value,
      '2026-11-20T10:00:00.000Z',
      'min received_at − 7 days',
    );
    assert.equal(
      params.window_end.parameterValue.value,
      '2026-12-04T12:00:00.000Z',
      'max received_at + 7 days',
    );
    assert.deepEqual(
      params.files.parameterValue.arrayValues.map((v: Body) => [
        v.structValues.key.value,
        v.structValues.row_count.value,
      ]),
      [
        [a.key, '2'],
        [b.key, '1'],
      ],
    );
    assert.equal(h.bq.requestsTo('DELETE', `/tables/${staging}`).length, 1, 'staging dropped');
    assert.equal(h.bq.table(DATASET, staging), undefined);
  });

  // Bug: every events load failed. The worker's files carry loaded_at (NULL) and the staging schema
  // left it out; BigQuery counts a Parquet column the schema lacks as a bad record unless
  // ignoreUnknownValues (https://cloud.google.com/bigquery/docs/reference/rest/v2/Job#JobConfigurationLoad),
  // and maxBadRecords is 0. The fake now reads the file and refuses it as BigQuery does.
  test("the worker's Parquet file loads: the staging schema is its columns, loaded_at included, unknown columns refused", async () => {
    const w = h.warehouse();
    await w.ensureTables();
    const file = await h.putEvents([{ message_id: 'm1' }, { message_id: 'm2' }]);
    const encoder = await ParquetEncoder.create();
    try {
      const described = await encoder.describe(h.gcs.objects(BUCKET).find((o) => o.name === file.key)!.data);
      assert.deepEqual(
        described.columns.map((c) => c.name),
        WAREHOUSE_COLUMNS.map((c) => c.name),
        'the file has every warehouse column, loaded_at too',
      );
    } finally {
      await encoder.close();
    }
    const job = jobOf([file]);
    const result = await w.load(job);
    assert.equal(result.rowsInserted, 2);
    const load = h.bq.jobs().find((j) => j.type === 'LOAD');
    const config = load?.configuration.load as Body;
    assert.deepEqual(
      config.schema.fields.map((f: Body) => f.name),
      WAREHOUSE_COLUMNS.map((c) => c.name),
    );
    assert.equal(config.ignoreUnknownValues, false, 'a schema drift fails loudly');
    assert.equal(
      (load?.resource.statistics as Body | undefined)?.load.outputRows,
      '2',
      'the fake read the rows',
    );
    const rows = await h.rows('raw_events');
    assert.ok(
      rows.every((r) => r.loaded_at instanceof Date),
      'loaded_at is set by the merge, not taken from the file',
    );
  });

  // https://cloud.google.com/bigquery/docs/locations#specify_locations: a job runs where its datasets are;
  // jobs.get and getQueryResults must name a single region's location
  // (https://cloud.google.com/bigquery/docs/reference/rest/v2/jobs/get). The fake refuses both otherwise.
  test('GCP_BIGQUERY_LOCATION: the dataset is created there and every job, poll and result read names it', async () => {
    const w = h.warehouse({ location: 'europe-west1' });
    await w.ensureTables();
    const [dataset] = await new BigQuery(h.bq.clientOptions()).dataset(DATASET).getMetadata();
    assert.equal(dataset.location, 'europe-west1');
    const result = await w.load(jobOf([await h.putEvents([{ message_id: 'm1' }])]));
    assert.equal(result.rowsInserted, 1);
    assert.equal((await w.loadedKeys(['x'])).size, 0);
    const inserts = h.bq.requestsTo('POST', '/projects/test-project/jobs');
    assert.ok(inserts.length >= 4);
    for (const r of inserts) assert.equal((r.body as Body).jobReference.location, 'europe-west1');
    const reads = h.bq.requests.filter((r) => r.method === 'GET' && /\/(jobs|queries)\//.test(r.path));
    assert.ok(reads.length > 0);
    for (const r of reads) assert.equal(r.query.location, 'europe-west1', `${r.path} names the location`);
  });

  test('an existing dataset in another location than GCP_BIGQUERY_LOCATION stops the loader, naming the setting', async () => {
    await h.warehouse().ensureTables(); // created in US
    const jobs = h.bq.jobs().length;
    await assert.rejects(
      h.warehouse({ location: 'EU' }).ensureTables(),
      /analytics is in US, but GCP_BIGQUERY_LOCATION is EU/,
    );
    assert.equal(h.bq.jobs().length, jobs, 'no job ran');
  });

  test('job ids depend only on the files: same files in any order, another run, same ids', async () => {
    const a = await h.putEvents([{ message_id: 'm1' }]);
    const b = await h.putEvents([{ message_id: 'm2' }]);
    const first = jobOf([a, b]);
    const second = jobOf([b, a]);
    assert.equal(first.id, second.id);
    await h.warehouse().ensureTables();
    await h.warehouse().load(first);
    const idsBefore = h.bq
      .jobs()
      .map((j) => j.reference.jobId)
      .filter((id) => id.startsWith('eventkit_events'));
    h.reset();
    await h.warehouse().ensureTables();
    await h.warehouse().load(second);
    const idsAfter = h.bq
      .jobs()
      .map((j) => j.reference.jobId)
      .filter((id) => id.startsWith('eventkit_events'));
    assert.deepEqual(idsAfter, idsBefore);
  });

  test('polls a job until DONE', async () => {
    const w = h.warehouse();
    await w.ensureTables();
    h.bq.pollsUntilDone = 4;
    const job = jobOf([await h.putEvents([{ message_id: 'm1' }])]);
    await w.load(job);
    const load = h.bq.jobs().find((j) => j.reference.jobId.endsWith('_load_1'));
    assert.equal(load?.state, 'DONE');
    assert.ok((load?.reads ?? 0) >= 4, `read ${load?.reads} times`);
    assert.ok(h.sleeps.length >= 3, 'waits between polls');
  });

  test('a failed load job is not recorded: no merge, no ledger row, the error names the job', async () => {
    const w = h.warehouse();
    await w.ensureTables();
    h.bq.onJob((j) =>
      j.type === 'LOAD'
        ? { errorResult: jobError('invalid', 'Error while reading data, error message: bad file') }
        : undefined,
    );
    const file = await h.putEvents([{ message_id: 'm1' }]);
    await assert.rejects(w.load(jobOf([file])), /_load_1 failed: invalid: Error while reading data/);
    assert.equal(h.bq.queries().filter((s) => s.startsWith('-- eventkit:merge')).length, 0);
    assert.equal((await w.loadedKeys([file.key])).size, 0);
    assert.equal((await h.rows('_loaded_files')).length, 0);
  });

  test('a load job whose source is missing fails (notFound) and records nothing', async () => {
    const w = h.warehouse();
    await w.ensureTables();
    const file: LoadFile = { key: 'events/x.parquet', uri: `gs://${BUCKET}/events/gone.parquet`, size: 1 };
    await assert.rejects(w.load(jobOf([file])), /notFound/);
    assert.equal((await h.rows('_loaded_files')).length, 0);
  });

  test('rateLimitExceeded on jobs.insert backs off and retries the same job id', async () => {
    const w = h.warehouse();
    await w.ensureTables();
    const file = await h.putEvents([{ message_id: 'm1' }]);
    h.bq.faults.failNext(2, { ...bigQueryErrors.rateLimitExceeded(), method: 'POST', path: '/jobs' });
    const result = await w.load(jobOf([file]));
    assert.equal(result.rowsInserted, 1);
    const inserts = h.bq
      .requestsTo('POST', '/projects/test-project/jobs')
      .filter((r) => String((r.body as Body)?.jobReference?.jobId).startsWith('eventkit_events'));
    assert.deepEqual(
      inserts.slice(0, 3).map((r) => [r.status, (r.body as Body)?.jobReference?.jobId.replace(/^.*_/, '')]),
      [
        [403, '1'],
        [403, '1'],
        [200, '1'],
      ],
    );
    assert.equal(h.sleeps.filter((ms) => ms >= 1000).length, 2, 'two backoff waits of at least a second');
  });

  test('a merge job failing with quotaExceeded backs off and runs again under the next attempt id', async () => {
    const w = h.warehouse();
    await w.ensureTables();
    let failed = false;
    h.bq.onJob((j) => {
      if (!failed && j.reference.jobId.endsWith('_merge_1')) {
        failed = true;
        return { errorResult: jobError('quotaExceeded', 'Quota exceeded: too many table update operations') };
      }
      return undefined;
    });
    const result = await w.load(jobOf([await h.putEvents([{ message_id: 'm1' }])]));
    assert.equal(result.rowsInserted, 1);
    const merges = h.bq.jobs().filter((j) => /_merge_\d$/.test(j.reference.jobId));
    assert.deepEqual(
      merges.map((j) => [j.reference.jobId.slice(-7), j.errorResult?.reason ?? 'ok']),
      [
        ['merge_1', 'quotaExceeded'],
        ['merge_2', 'ok'],
      ],
    );
    assert.equal((await h.rows('_loaded_files')).length, 1);
    assert.ok(h.sleeps.some((ms) => ms >= 1000));
  });

  // Bug: a load group could be locked out forever. Job ids are unique forever, a failed job's too
  // (https://cloud.google.com/bigquery/docs/running-jobs#generate-jobid; the fake answers 409), and attempt
  // ids stopped at 8, so after 8 failed merges the group never loaded again.
  test('a group whose merge failed more than 8 times still loads on a later run, exactly once', async () => {
    await h.warehouse().ensureTables();
    let failures = 0;
    h.bq.onJob((j) => {
      if (!j.reference.jobId.includes('_merge_') || failures >= 10) return undefined;
      failures += 1;
      return {
        errorResult: jobError(
          'invalidQuery',
          'Transaction is aborted due to concurrent update against table test-project:analytics.raw_events.',
        ),
      };
    });
    const file = await h.putEvents([{ message_id: 'm1' }, { message_id: 'm2' }]);
    const job = jobOf([file]);
    for (let run = 1; run <= 10; run++) {
      await assert.rejects(h.warehouse().load(job), /concurrent update/, `run ${run} fails`);
    }
    const result = await h.warehouse().load(job);
    assert.deepEqual([result.alreadyDone, result.rowsInserted], [false, 2]);
    const merges = h.bq.jobs().filter((j) => j.reference.jobId.includes('_merge_'));
    assert.equal(merges.length, 11);
    assert.equal(new Set(merges.map((j) => j.reference.jobId)).size, 11, 'every attempt has its own id');
    assert.deepEqual(
      merges.map((j) => j.errorResult?.reason ?? 'ok'),
      [...Array(10).fill('invalidQuery'), 'ok'],
    );
    // Its merge ran under an id a rerun cannot guess: the ledger says it committed.
    const again = await h.warehouse().load(job);
    assert.deepEqual([again.alreadyDone, again.rowsRead], [true, 2]);
    assert.equal(
      h.bq.jobs().filter((j) => j.reference.jobId.includes('_merge_')).length,
      11,
      'no merge again',
    );
    assert.equal((await h.rows('raw_events')).length, 2);
    assert.equal((await h.rows('_loaded_files')).length, 1);
  });

  // Cost of the dedup window: every merge reads what it checks keys against in 2W days (+ the batch's
  // span) of partitions. BigQuery bills the columns named in the partitions a constant filter on the
  // partitioning column leaves (https://cloud.google.com/bigquery/docs/querying-partitioned-tables), at
  // their logical sizes (https://cloud.google.com/bigquery/pricing#data): the target's source, message_id
  // and received_at are 51 bytes a row for a UUID message id; the keys table's hash and time are 26.
  test('each row of history in the dedup window costs a merge 26 bytes (the keys table), not 51 (the target)', async () => {
    const mergeBytes = async (history: number) => {
      h.reset();
      const w = h.warehouse();
      await w.ensureTables();
      const old = Array.from({ length: history }, (_, i) => ({
        message_id: randomUUID(),
        received_at: new Date(Date.parse('2026-11-27T08:00:00.000Z') + i * 1000).toISOString(),
      }));
      await w.load(jobOf([await h.putEvents(old)]));
      const batch = Array.from({ length: 10 }, (_, i) => ({
        message_id: `00000000-0000-4000-8000-00000000000${i}`,
        received_at: '2026-11-27T10:00:00.000Z',
      }));
      const result = await w.load(jobOf([await h.putEvents(batch)]));
      assert.equal(result.rowsInserted, 10);
      const merge = h.bq
        .jobs()
        .filter((j) => j.sql?.startsWith('-- eventkit:merge'))
        .at(-1);
      return Number((merge?.resource.statistics as Body | undefined)?.query.totalBytesProcessed);
    };
    const small = await mergeBytes(100);
    const large = await mergeBytes(300);
    assert.equal((large - small) / 200, 26);
  });

  test('upgrade: a target that already holds rows gets its keys once, and an old row sent again is not inserted', async () => {
    const w = h.warehouse();
    await w.ensureTables();
    await h.bq.sql(`INSERT INTO "test-project.${DATASET}"."raw_events" (message_id, source, type, stream, timestamp, received_at, loaded_at)
      VALUES ('old', 'web', 'track', 'events', TIMESTAMPTZ '2026-11-27 09:00:00+00', TIMESTAMPTZ '2026-11-27 09:00:00+00', now())`);
    // As before this version: no keys table.
    await new BigQuery(h.bq.clientOptions()).dataset(DATASET).table('_eventkit_keys_raw_events').delete();
    await h.warehouse().ensureTables();
    const fills = () => h.bq.queries().filter((q) => q.startsWith('-- eventkit:keys-backfill'));
    assert.equal(
      fills().filter((q) => q.includes('_eventkit_keys_raw_events`')).length,
      2,
      'filled when created',
    );
    assert.equal(
      (h.bq.table(DATASET, '_eventkit_keys_raw_events')?.resource as Body | undefined)?.labels?.eventkit_keys,
      'ready',
    );
    assert.equal((await h.rows('_eventkit_keys_raw_events')).length, 1);
    const result = await h.warehouse().load(
      jobOf([
        await h.putEvents([
          { message_id: 'old', received_at: '2026-11-27T09:00:00.000Z' },
          { message_id: 'new', received_at: '2026-11-27T10:00:00.000Z' },
        ]),
      ]),
    );
    assert.equal(result.rowsInserted, 1);
    assert.deepEqual((await h.rows('raw_events')).map((r) => r.message_id).sort(), ['new', 'old']);
    const before = fills().length;
    await h.warehouse().ensureTables();
    assert.equal(fills().length, before, 'filled once');
  });

  test('a crash between load and record: the rerun finds the finished load job and merges once', async () => {
    let crash = true;
    const hooks = {
      afterLoad: () => {
        if (crash) throw new Error('killed');
      },
    };
    await h.warehouse().ensureTables();
    const file = await h.putEvents([{ message_id: 'm1' }, { message_id: 'm2' }]);
    const job = jobOf([file]);
    await assert.rejects(h.warehouse({ hooks }).load(job), /killed/);
    assert.equal((await h.rows('_loaded_files')).length, 0);
    crash = false;
    const result = await h.warehouse({ hooks }).load(job);
    assert.equal(result.alreadyDone, false);
    assert.equal(result.rowsInserted, 2);
    const loads = h.bq.jobs().filter((j) => j.type === 'LOAD');
    assert.equal(loads.length, 1, 'the load job ran once; the rerun reused it (409, DONE)');
    assert.equal(h.bq.requestsTo('POST', '/jobs').filter((r) => r.status === 409).length, 1);
    const again = await h.warehouse().load(job);
    assert.equal(again.alreadyDone, true);
    assert.equal(again.rowsInserted, 2, 'the first result');
    assert.equal((await h.rows('raw_events')).length, 2);
    assert.equal(h.bq.jobs().filter((j) => j.type === 'LOAD').length, 1);
  });

  test('dead letters: NDJSON with a schema, merged on id over failed_at into raw_events_errors', async () => {
    const w = h.warehouse();
    await w.ensureTables();
    const file = h.putErrors([errorRow('e1'), errorRow('e1'), errorRow('e2')]);
    const result = await w.load(jobOf([file], 'errors'));
    assert.equal(result.rowsRead, 3);
    assert.equal(result.rowsInserted, 2);
    const load = h.bq.jobs().find((j) => j.type === 'LOAD')?.configuration.load as Body;
    assert.equal(load.sourceFormat, 'NEWLINE_DELIMITED_JSON');
    assert.equal(
      load.destinationTable.tableId,
      `_eventkit_staging_raw_events_errors_${jobOf([file], 'errors').id}`,
    );
    const count = h.bq.jobs().find((j) => j.sql?.startsWith('-- eventkit:count-files'))?.configuration
      .query as Body;
    assert.equal(count.tableDefinitions.files.sourceFormat, 'NEWLINE_DELIMITED_JSON');
    assert.ok(count.tableDefinitions.files.schema.fields.length > 0);
    const sql = h.bq.queries().find((s) => s.startsWith('-- eventkit:merge')) ?? '';
    assert.match(sql, /INSERT INTO `test-project\.analytics\.raw_events_errors` \(/);
    assert.match(
      sql,
      /FROM `test-project\.analytics\._eventkit_keys_raw_events_errors` AS K\s+WHERE K\.`failed_at` BETWEEN @window_start AND @window_end/,
    );
    assert.ok(sql.includes("SUBSTR(SHA256(CAST(LENGTH(S.`id`) AS STRING) || ':' || S.`id`), 1, 16)"));
    assert.ok(sql.includes("PARSE_JSON(N.`payload`, wide_number_mode => 'round')"));
  });

  test('ledger reads: keys with a partition hint, watermarks, summary', async () => {
    const w = h.warehouse();
    await w.ensureTables();
    const file = await h.putEvents([{ message_id: 'm1' }], eventKey({ at: '2026-11-27T10:00:00.000Z' }));
    await w.load(jobOf([file]));
    const keys = await w.loadedKeys([file.key, 'events/other'], {
      writtenAfter: new Date('2026-11-27T10:00:00Z'),
    });
    assert.deepEqual([...keys], [file.key]);
    const read = h.bq
      .jobs()
      .filter((j) => j.sql?.startsWith('-- eventkit:loaded-keys'))
      .at(-1);
    const since = queryParameters(read).find((p) => p.name === 'since');
    assert.equal(since?.parameterValue.value, '2026-11-26T10:00:00.000Z', 'a day of slack before the files');
    assert.match(read?.sql ?? '', /`loaded_at` >= @since/);
    assert.deepEqual(
      await w.lastLoadedKeys(['events/stream=events/', 'events/stream=none/']),
      new Map([['events/stream=events/', file.key]]),
    );
    const summary = await w.ledgerSummary();
    assert.equal(summary.files, 1);
    assert.equal(summary.rows, 1);
    assert.ok(summary.lastLoadedAt instanceof Date);
  });

  test('the loader in bigquery mode: files discovered in GCS, loaded once, the next run has nothing to do', async () => {
    const store = new GcsObjectStore({
      storage: createStorageClient({ emulatorUrl: h.gcs.url }),
      bucket: BUCKET,
    });
    // A storage prefix of its own: the fake bucket still holds the other tests' files.
    const loader = () =>
      createLoader({ ...defaultLoaderSettings(), store, warehouse: h.warehouse(), prefix: 'mode' });
    const key = (at: string) => eventKey({ at, prefix: 'mode/' });
    await h.putEvents([{ message_id: 'm1' }, { message_id: 'm2' }], key('2026-11-27T10:00:00.000Z'));
    await h.putEvents([{ message_id: 'm2' }, { message_id: 'm3' }], key('2026-11-27T11:00:00.000Z'));
    const first = await loader().runOnce();
    assert.deepEqual(
      [first.ok, first.jobs, first.files, first.rowsInserted],
      [true, 1, 2, 3],
      String(first.error),
    );
    const second = await loader().runOnce();
    assert.deepEqual([second.ok, second.jobs], [true, 0]);
    assert.equal(h.bq.jobs().filter((j) => j.type === 'LOAD').length, 1, 'one load job for both files');
    assert.equal(
      h.bq.queries().filter((q) => q.startsWith('-- eventkit:merge')).length,
      1,
      'one merge per run',
    );
  });
});
