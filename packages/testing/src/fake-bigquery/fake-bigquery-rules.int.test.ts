// The rules of BigQuery the fake refuses by, each with the page it comes from.
// "A fake is only worth what it refuses": every test here fails a request or a
// job that BigQuery would fail.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { BigQuery, type Job } from '@google-cloud/bigquery';
import { afterAll, beforeAll, beforeEach, describe, test } from 'vitest';
import { type FakeGcsServer, startFakeGcs } from '../fake-gcs/fake-gcs-server.ts';
import { type FakeBigQueryServer, startFakeBigQuery } from './fake-bigquery-server.ts';

const DATASET = 'rules';
const SCHEMA = {
  fields: [
    { name: 'message_id', type: 'STRING', mode: 'REQUIRED' },
    { name: 'received_at', type: 'TIMESTAMP', mode: 'REQUIRED' },
    { name: 'properties', type: 'STRING', mode: 'NULLABLE' },
  ],
};

/** A Parquet file from a DuckDB SELECT. */
async function parquet(select: string): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'fake-bq-rules-'));
  const instance = await DuckDBInstance.create(':memory:');
  const con = await instance.connect();
  try {
    const path = join(dir, 'f.parquet');
    await con.run(`SET TimeZone = 'UTC'`);
    await con.run(`COPY (${select}) TO '${path}' (FORMAT parquet)`);
    return await readFile(path);
  } finally {
    con.closeSync();
    instance.closeSync();
    await rm(dir, { recursive: true, force: true });
  }
}

const GOOD = `SELECT 'm1' AS message_id, TIMESTAMPTZ '2026-11-27 10:00:00+00' AS received_at, '{"a":1}' AS properties
  UNION ALL SELECT 'm2', TIMESTAMPTZ '2026-11-27 11:00:00+00', NULL`;

describe('fake BigQuery refuses what BigQuery refuses', () => {
  let gcs: FakeGcsServer;
  let server: FakeBigQueryServer;
  let bigquery: BigQuery;

  beforeAll(async () => {
    gcs = await startFakeGcs();
    server = await startFakeBigQuery({ gcs });
  });
  afterAll(async () => {
    await server.close();
    await gcs.close();
  });
  beforeEach(async () => {
    server.reset();
    gcs.reset();
    gcs.createBucket('lake');
    bigquery = new BigQuery(server.clientOptions({ fastRetries: true }));
    await bigquery.createDataset(DATASET);
    await bigquery.dataset(DATASET).createTable('staging', { schema: SCHEMA });
  });

  /** Runs a Parquet load of `file` into rules.staging; resolves to the finished job's metadata. */
  async function loadParquet(file: Buffer, extra: Record<string, unknown> = {}) {
    const name = `f-${randomUUID()}.parquet`;
    gcs.putObject('lake', name, file);
    const [job] = await bigquery.createJob({
      jobId: `load_${randomUUID().replaceAll('-', '')}`,
      configuration: {
        load: {
          sourceUris: [`gs://lake/${name}`],
          sourceFormat: 'PARQUET',
          destinationTable: { projectId: 'test-project', datasetId: DATASET, tableId: 'staging' },
          schema: SCHEMA,
          createDisposition: 'CREATE_NEVER',
          writeDisposition: 'WRITE_TRUNCATE',
          ...extra,
        },
      },
    });
    return waitDone(job);
  }

  async function waitDone(job: Job) {
    for (;;) {
      const [metadata] = await job.getMetadata();
      if (metadata.status.state === 'DONE') return metadata;
    }
  }

  // https://cloud.google.com/bigquery/docs/reference/rest/v2/Job#JobConfigurationLoad (ignoreUnknownValues:
  // "Avro, Parquet, ORC: Fields in the file schema that don't exist in the table schema" are bad records;
  // maxBadRecords defaults to 0)
  test('a Parquet file with a column the schema lacks fails the load, unless ignoreUnknownValues', async () => {
    const file = await parquet(`SELECT *, NULL::TIMESTAMPTZ AS loaded_at FROM (${GOOD})`);
    const failed = await loadParquet(file);
    assert.equal(failed.status.errorResult?.reason, 'invalid');
    assert.match(failed.status.errorResult?.message ?? '', /loaded_at is not in the schema/);
    assert.deepEqual(await server.rows(DATASET, 'staging'), [], 'nothing loaded');
    const ignored = await loadParquet(file, { ignoreUnknownValues: true });
    assert.equal(ignored.status.errorResult, undefined);
    assert.equal(ignored.statistics.load.outputRows, '2');
  });

  // https://cloud.google.com/bigquery/docs/loading-data-cloud-storage-parquet (the rows are read from the
  // file; statistics.load.outputRows in https://cloud.google.com/bigquery/docs/reference/rest/v2/Job#JobStatistics3)
  test('a Parquet load stores the rows of the file and counts them', async () => {
    const done = await loadParquet(await parquet(GOOD));
    assert.equal(done.status.errorResult, undefined);
    assert.equal(done.statistics.load.outputRows, '2');
    const rows = await server.rows(DATASET, 'staging');
    assert.deepEqual(
      rows.map((r) => [r.message_id, (r.received_at as Date).toISOString(), r.properties]),
      [
        ['m1', '2026-11-27T10:00:00.000Z', '{"a":1}'],
        ['m2', '2026-11-27T11:00:00.000Z', null],
      ],
    );
    assert.equal(server.table(DATASET, 'staging')?.resource.numRows, '2');
  });

  // https://cloud.google.com/bigquery/docs/loading-data-cloud-storage-parquet (a REQUIRED column must be
  // present and not null)
  test('a Parquet file without a REQUIRED column, or with a NULL in one, fails the load', async () => {
    const missing = await loadParquet(await parquet(`SELECT 'm1' AS message_id, 'x' AS properties`));
    assert.match(missing.status.errorResult?.message ?? '', /required column received_at is missing/);
    const nulls = await loadParquet(
      await parquet(
        `SELECT NULL::VARCHAR AS message_id, TIMESTAMPTZ '2026-11-27 10:00:00+00' AS received_at`,
      ),
    );
    assert.match(nulls.status.errorResult?.message ?? '', /REQUIRED column holds NULL/);
  });

  // https://cloud.google.com/bigquery/docs/loading-data-cloud-storage-parquet#parquet_conversions
  // (a not-UTC-adjusted Parquet timestamp is a DATETIME; a UTF8 string is a STRING, never JSON)
  test('a Parquet column of another type fails the load: a local timestamp into TIMESTAMP, a string into JSON', async () => {
    const local = await loadParquet(
      await parquet(`SELECT 'm1' AS message_id, TIMESTAMP '2026-11-27 10:00:00' AS received_at`),
    );
    assert.match(
      local.status.errorResult?.message ?? '',
      /received_at has type DATETIME in the file, TIMESTAMP/,
    );
    await bigquery.dataset(DATASET).createTable('typed', {
      schema: {
        fields: [...SCHEMA.fields.slice(0, 2), { name: 'properties', type: 'JSON', mode: 'NULLABLE' }],
      },
    });
    gcs.putObject('lake', 'typed.parquet', await parquet(GOOD));
    const [job] = await bigquery.createJob({
      configuration: {
        load: {
          sourceUris: ['gs://lake/typed.parquet'],
          sourceFormat: 'PARQUET',
          destinationTable: { projectId: 'test-project', datasetId: DATASET, tableId: 'typed' },
        },
      },
    });
    const json = await waitDone(job);
    assert.match(json.status.errorResult?.message ?? '', /properties has type STRING in the file, JSON/);
  });

  // https://cloud.google.com/bigquery/docs/reference/rest/v2/Job#JobConfigurationLoad (ignoreUnknownValues for
  // JSON: "Named values that don't match any column names")
  test('an NDJSON line with an unknown field fails the load, unless ignoreUnknownValues', async () => {
    gcs.putObject('lake', 'a.ndjson', '{"message_id":"m1","received_at":"2026-11-27T10:00:00Z","extra":1}\n');
    const config = (extra: object) => ({
      configuration: {
        load: {
          sourceUris: ['gs://lake/a.ndjson'],
          sourceFormat: 'NEWLINE_DELIMITED_JSON',
          destinationTable: { projectId: 'test-project', datasetId: DATASET, tableId: 'staging' },
          schema: SCHEMA,
          ...extra,
        },
      },
    });
    const [bad] = await bigquery.createJob(config({}));
    assert.match((await waitDone(bad)).status.errorResult?.message ?? '', /no such field: extra/);
    const [good] = await bigquery.createJob(config({ ignoreUnknownValues: true }));
    assert.equal((await waitDone(good)).statistics.load.outputRows, '1');
  });

  // https://cloud.google.com/bigquery/docs/running-jobs#generate-jobid ("job IDs must be unique": a failed
  // job's id is spent too)
  test('a job id is unique forever: reusing the id of a failed job answers 409 duplicate', async () => {
    const [job] = await bigquery.createJob({
      jobId: 'spent_1',
      configuration: { query: { query: 'SELECT NO_SUCH_FUNCTION(1)', useLegacySql: false } },
    });
    assert.ok((await waitDone(job)).status.errorResult);
    await assert.rejects(
      bigquery.createJob({
        jobId: 'spent_1',
        configuration: { query: { query: 'SELECT 1 AS n', useLegacySql: false } },
      }),
      { code: 409 },
    );
  });

  // https://cloud.google.com/bigquery/docs/locations#specify_locations and
  // https://cloud.google.com/bigquery/docs/reference/rest/v2/jobs/get (location: required for a job in a single region)
  test('locations: datasets where asked (default US); a job elsewhere does not find them; jobs.get needs a single region', async () => {
    const [us] = await bigquery.dataset(DATASET).getMetadata();
    assert.equal(us.location, 'US');
    await bigquery.createDataset('in_belgium', { location: 'europe-west1' });
    await bigquery.dataset('in_belgium').createTable('t', { schema: SCHEMA });
    const sql = 'SELECT COUNT(*) AS n FROM `test-project.in_belgium.t`';
    const [wrong] = await bigquery.createJob({
      jobId: 'wrong_place',
      location: 'US',
      configuration: { query: { query: sql, useLegacySql: false } },
    });
    const failed = await waitDone(wrong);
    assert.equal(failed.status.errorResult?.reason, 'notFound');
    assert.match(failed.status.errorResult?.message ?? '', /was not found in location US/);
    const [right] = await bigquery.createJob({
      jobId: 'right_place',
      location: 'europe-west1',
      configuration: { query: { query: sql, useLegacySql: false } },
    });
    assert.equal((await waitDone(right)).status.errorResult, undefined);
    await assert.rejects(bigquery.job('right_place').getMetadata(), { code: 404 });
    const [rows] = await bigquery.job('right_place', { location: 'europe-west1' }).getQueryResults();
    assert.deepEqual(rows, [{ n: 0 }]);
  });

  // https://cloud.google.com/bigquery/docs/transactions#statements_supported_in_transactions
  test('a transaction may not create a permanent table; the script fails and its DML is rolled back', async () => {
    const [job] = await bigquery.createJob({
      configuration: {
        query: {
          useLegacySql: false,
          query: `BEGIN TRANSACTION;
INSERT INTO \`test-project.${DATASET}.staging\` (message_id, received_at) SELECT 'm1', CURRENT_TIMESTAMP();
CREATE TABLE \`test-project.${DATASET}.other\` (x INT64);
COMMIT TRANSACTION;`,
        },
      },
    });
    const done = await waitDone(job);
    assert.match(done.status.errorResult?.message ?? '', /not supported inside a transaction/);
    assert.deepEqual(await server.rows(DATASET, 'staging'), []);
  });

  // https://cloud.google.com/bigquery/docs/transactions#transaction_concurrency ("Conflicting transactions
  // are cancelled": "Transaction is aborted due to concurrent update against table …")
  test('two concurrent transactions mutating one table: the one that commits second is aborted', async () => {
    server.pollsUntilDone = 1;
    const script = (id: string) =>
      `BEGIN TRANSACTION;
INSERT INTO \`test-project.${DATASET}.staging\` (message_id, received_at) SELECT '${id}', CURRENT_TIMESTAMP();
COMMIT TRANSACTION;`;
    // Both are inserted (running) before either finishes.
    const [a] = await bigquery.createJob({
      configuration: { query: { query: script('a'), useLegacySql: false } },
    });
    const [b] = await bigquery.createJob({
      configuration: { query: { query: script('b'), useLegacySql: false } },
    });
    assert.equal((await waitDone(a)).status.errorResult, undefined);
    const second = await waitDone(b);
    assert.match(
      second.status.errorResult?.message ?? '',
      /Transaction is aborted due to concurrent update against table test-project:rules\.staging/,
    );
    assert.deepEqual(
      (await server.rows(DATASET, 'staging')).map((r) => r.message_id),
      ['a'],
    );
  });

  // The loader's statements really run (GoogleSQL translated to DuckDB, translate.ts); what the translation
  // does not know fails the job instead of passing silently.
  test('SQL runs: a MERGE script with DECLARE, SET @@row_count, QUALIFY and PARSE_JSON; an unknown function fails', async () => {
    await bigquery.dataset(DATASET).createTable('target', {
      schema: {
        fields: [...SCHEMA.fields.slice(0, 2), { name: 'properties', type: 'JSON', mode: 'NULLABLE' }],
      },
    });
    await loadParquet(
      await parquet(`${GOOD} UNION ALL SELECT 'm1', TIMESTAMPTZ '2026-11-27 12:00:00+00', NULL`),
    );
    const merge = `DECLARE n INT64 DEFAULT 0;
BEGIN TRANSACTION;
MERGE \`test-project.${DATASET}.target\` AS T
USING (SELECT * FROM \`test-project.${DATASET}.staging\` WHERE TRUE
  QUALIFY ROW_NUMBER() OVER (PARTITION BY message_id ORDER BY received_at) = 1) AS S
ON T.message_id = S.message_id AND T.received_at BETWEEN @start AND @end
WHEN NOT MATCHED THEN INSERT (message_id, received_at, properties)
  VALUES (S.message_id, S.received_at, PARSE_JSON(S.properties, wide_number_mode => 'round'));
SET n = @@row_count;
COMMIT TRANSACTION;
SELECT n;`;
    const params = {
      start: bigquery.timestamp('2026-11-20T00:00:00Z'),
      end: bigquery.timestamp('2026-12-04T00:00:00Z'),
    };
    const [rows] = await bigquery.query({ query: merge, params });
    assert.deepEqual(rows, [{ n: 2 }]);
    const [again] = await bigquery.query({ query: merge, params });
    assert.deepEqual(again, [{ n: 0 }], 'the same rows again: all matched');
    await assert.rejects(
      bigquery.query('SELECT FARM_FINGERPRINT("x") AS h'),
      /translate\.ts.*FARM_FINGERPRINT/s,
    );
  });

  // https://cloud.google.com/bigquery/pricing#data ("Data size calculation": STRING 2 + UTF-8 bytes,
  // TIMESTAMP 8) and https://cloud.google.com/bigquery/docs/querying-partitioned-tables (a constant filter
  // on the partitioning column prunes partitions): what a MERGE reads, reported as totalBytesProcessed.
  test('a MERGE reads the columns it names, in the partitions its constant filter on the partitioning column leaves', async () => {
    await bigquery.dataset(DATASET).createTable('target', {
      schema: SCHEMA,
      timePartitioning: { type: 'DAY', field: 'received_at' },
    });
    await server.sql(`INSERT INTO "test-project.${DATASET}"."target" VALUES
      ('aaaa', TIMESTAMPTZ '2026-11-10 10:00:00+00', 'not read'),
      ('bbbb', TIMESTAMPTZ '2026-11-26 10:00:00+00', 'not read'),
      ('cccc', TIMESTAMPTZ '2026-11-27 23:00:00+00', 'not read')`);
    await loadParquet(await parquet(GOOD));
    const merge = (start: string) => `MERGE \`test-project.${DATASET}.target\` AS T
USING (SELECT \`message_id\`, \`received_at\` FROM \`test-project.${DATASET}.staging\`) AS S
ON T.\`message_id\` = S.\`message_id\` AND T.\`received_at\` BETWEEN TIMESTAMP '${start}' AND TIMESTAMP '2026-11-27 12:00:00+00'
WHEN NOT MATCHED THEN INSERT (\`message_id\`, \`received_at\`) VALUES (S.\`message_id\`, S.\`received_at\`)`;
    const [job] = await bigquery.createQueryJob({ query: merge('2026-11-26 00:00:00+00') });
    const [metadata] = await job.getMetadata();
    // Target: message_id (2 + 4) and received_at (8) of the two rows on Nov 26 and 27 (the row of Nov 10 is
    // pruned; 'properties' is not named). Staging: message_id (2 + 2) and received_at (8) of its two rows.
    assert.equal(metadata.statistics.query.totalBytesProcessed, String(2 * 14 + 2 * 12));
  });
  // https://cloud.google.com/bigquery/docs/views-intro#view_limitations ("You can't reference query
  // parameters in views"); duplicate column names: "Duplicate column names in the result are not
  // supported" (DuckDB would rename the second); OR REPLACE replaces a view, not a table
  // (https://cloud.google.com/bigquery/docs/reference/standard-sql/data-definition-language#create_view_statement).
  test('views: no query parameter, no two columns of one name (in any case), never over a table', async () => {
    const t = `\`test-project.${DATASET}.staging\``;
    await loadParquet(await parquet(GOOD));
    const view = (name: string, select: string) =>
      `CREATE OR REPLACE VIEW \`test-project.${DATASET}.${name}\` AS ${select}`;
    await bigquery.query(view('ok', `SELECT message_id AS id FROM ${t}`));
    assert.deepEqual((await bigquery.query(`SELECT id FROM \`${DATASET}.ok\` ORDER BY id`))[0], [
      { id: 'm1' },
      { id: 'm2' },
    ]);
    await assert.rejects(
      bigquery.query({
        query: view('p', `SELECT message_id FROM ${t} WHERE message_id = @m`),
        params: { m: 'm1' },
      }),
      /Query parameters cannot be used in a view/,
    );
    await assert.rejects(
      bigquery.query(view('dup', `SELECT message_id AS a, received_at AS A FROM ${t}`)),
      /Duplicate column names in the result are not supported. Found duplicate\(s\): a/,
    );
    await assert.rejects(bigquery.query(view('staging', 'SELECT 1 AS x')), /staging/);
    assert.equal((await bigquery.query(`SELECT count(*) AS n FROM ${t}`))[0][0].n, 2);
  });

  // https://cloud.google.com/bigquery/docs/reference/standard-sql/json_functions#json_value (scalars only),
  // #json_keys (max_depth), string_functions#regexp_replace (every match), lexical#string_and_bytes_literals.
  test('JSON_VALUE gives scalars only; REGEXP_REPLACE replaces every match; backslash escapes and raw strings', async () => {
    const [rows] = await bigquery.query(
      `SELECT JSON_VALUE(j, '$.a') AS a, JSON_VALUE(j, '$.o') AS o, JSON_VALUE(j, '$."b c"') AS bc, JSON_VALUE(j, '$.n') AS n,
        REGEXP_REPLACE('aBcD', r'([a-z])([A-Z])', r'\\1_\\2') AS snake, 'it\\'s \\\\ ok' AS s
      FROM (SELECT PARSE_JSON(s, wide_number_mode => 'round') AS j FROM (SELECT '{"a":1,"o":{"x":2},"b c":"y","n":null}' AS s))`,
    );
    assert.deepEqual(rows, [{ a: '1', o: null, bc: 'y', n: null, snake: 'a_Bc_D', s: "it's \\ ok" }]);
    const [keys] = await bigquery.query(
      `SELECT k FROM (SELECT PARSE_JSON(s, wide_number_mode => 'round') AS j FROM (SELECT '{"b":{"c":1},"a":1}' AS s)) AS t, UNNEST(JSON_KEYS(j, 1)) AS k ORDER BY k`,
    );
    assert.deepEqual(keys, [{ k: 'a' }, { k: 'b' }]);
    await assert.rejects(
      bigquery.query(`SELECT k FROM (SELECT JSON '{}' AS j) AS t, UNNEST(JSON_KEYS(j)) AS k`),
      /JSON_KEYS/,
    );
    await assert.rejects(
      bigquery.query(
        `SELECT JSON_VALUE(PARSE_JSON('{}', wide_number_mode => 'round'), p) FROM (SELECT '$.a' AS p)`,
      ),
      /JSON_VALUE/,
    );
    await assert.rejects(bigquery.query(`SELECT 'a\\qb' AS s`), /escape/);
  });
});
