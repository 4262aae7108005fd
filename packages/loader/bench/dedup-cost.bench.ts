// What the BigQuery merge's dedup window costs, in the fake BigQuery's bytes
// model (packages/testing/src/fake-bigquery/engine.ts, #mergeBytes: columns
// named × partitions left by the constant filter on the partitioning column ×
// logical value sizes, as BigQuery bills on-demand queries).
//
//   node packages/loader/bench/dedup-cost.bench.ts [days=30] [rowsPerDay=20000] [batch=1000] [window=7]
//
// The target table is seeded with `days` days of `rowsPerDay` events each (UUID
// message ids, source 'web'), up to "now", as a target of a loader before the
// keys table existed: ensureTables then fills the keys table from it (the
// one-time upgrade read). Then the real BigQueryWarehouse loads a batch of
// `batch` events through the fake (load job, count, merge transaction), twice:
// a fresh batch (received in the last hour) and a late batch received
// `days / 2` days ago (a backfill). It prints each merge's totalBytesProcessed
// and what it is made of, beside what the target's key columns in the same
// partitions weigh (what the merge read before the keys table).
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Figure, figure, startFakeBigQuery, startFakeGcs, writeBenchReport } from '@eventkit/testing';
import { BigQuery } from '@google-cloud/bigquery';
import { jobIdFor } from '../src/core/grouping.ts';
import { eventKey, writeParquet } from '../src/testing/fixtures.ts';
import { BigQueryWarehouse } from '../src/warehouse/bigquery/bigquery-warehouse.ts';

const DAYS = Number(process.argv[2] ?? 30);
const ROWS_PER_DAY = Number(process.argv[3] ?? 20_000);
const BATCH = Number(process.argv[4] ?? 1_000);
const WINDOW = Number(process.argv[5] ?? 7);
const DAY_MS = 86_400_000;
const NOW = Date.parse('2026-11-27T12:00:00.000Z');

const gcs = await startFakeGcs();
gcs.createBucket('lake');
const bq = await startFakeBigQuery({ gcs });
const dir = await mkdtemp(join(tmpdir(), 'eventkit-dedup-cost-'));
try {
  const warehouse = new BigQueryWarehouse({
    client: new BigQuery(bq.clientOptions()),
    dataset: 'analytics',
    table: 'raw_events',
    pollIntervalMs: 1,
    maxPollIntervalMs: 1,
  });
  await warehouse.ensureTables();
  const first = new Date(NOW - DAYS * DAY_MS).toISOString();
  await bq.sql(`INSERT INTO "test-project.analytics"."raw_events"
    (message_id, source, type, event, stream, timestamp, received_at, loaded_at)
    SELECT uuid()::VARCHAR, 'web', 'track', 'Clicked', 'events', t, t, t
    FROM (SELECT TIMESTAMPTZ '${first}' + to_microseconds((i * ${Math.floor((DAY_MS * 1000) / ROWS_PER_DAY)})::BIGINT) AS t
          FROM range(${DAYS * ROWS_PER_DAY}) AS r(i))`);
  // A target from before the keys table: the next ensureTables fills it.
  await new BigQuery(bq.clientOptions()).dataset('analytics').table('_eventkit_keys_raw_events').delete();
  await warehouse.ensureTables();
  const fill = bq
    .jobs()
    .filter(
      (j) => j.sql?.startsWith('-- eventkit:keys-backfill') && j.sql.includes('_eventkit_keys_raw_events`'),
    )
    .at(-1);
  const fillBytes = (fill?.resource.statistics as { query?: { totalBytesProcessed?: string } } | undefined)
    ?.query?.totalBytesProcessed;
  const [{ n }] = (await bq.sql(
    `SELECT count(*)::BIGINT AS n FROM "test-project.analytics"."raw_events"`,
  )) as [{ n: bigint }];
  console.log(
    `target: ${n} rows over ${DAYS} days (${ROWS_PER_DAY}/day); batch ${BATCH} events; window ±${WINDOW} days`,
  );
  console.log(`keys table filled from the target once (upgrade): ${fillBytes} B read`);

  const figures: Figure[] = [];
  const scenario = async (id: string, name: string, receivedAt: number) => {
    const rows = Array.from({ length: BATCH }, (_, i) => ({
      message_id: randomUUID(),
      received_at: new Date(receivedAt + i * 1000).toISOString(),
    }));
    // The target's and the keys table's rows in the partitions the window covers, before the merge.
    const day = (t: number) => new Date(t).toISOString().slice(0, 10);
    const start = receivedAt - WINDOW * DAY_MS;
    const end = receivedAt + (BATCH - 1) * 1000 + WINDOW * DAY_MS;
    const inWindow = `CAST(received_at AS DATE) BETWEEN DATE '${day(start)}' AND DATE '${day(end)}'`;
    const [w] = (await bq.sql(`SELECT count(*)::BIGINT AS rows,
        coalesce(sum(2 + strlen(source) + 2 + strlen(message_id) + 8), 0)::BIGINT AS key_bytes
      FROM "test-project.analytics"."raw_events" WHERE ${inWindow}`)) as [
      { rows: bigint; key_bytes: bigint },
    ];
    const [k] = (await bq.sql(`SELECT coalesce(sum(2 + octet_length(key_hash) + 8), 0)::BIGINT AS bytes
      FROM "test-project.analytics"."_eventkit_keys_raw_events" WHERE ${inWindow}`)) as [{ bytes: bigint }];
    const path = join(dir, `${randomUUID()}.parquet`);
    await writeParquet(path, rows);
    const key = eventKey({ at: new Date(receivedAt).toISOString() });
    gcs.putObject('lake', key, await readFile(path));
    const files = [{ key, uri: `gs://lake/${key}`, size: 0 }];
    const jobsBefore = bq.jobs().length;
    await warehouse.load({ id: jobIdFor('events', [key]), table: 'events', files, dedupWindowDays: WINDOW });
    const jobs = bq.jobs().length - jobsBefore;
    const merge = bq
      .jobs()
      .filter((j) => j.sql?.startsWith('-- eventkit:merge') && !j.errorResult)
      .at(-1);
    const stats = merge?.resource.statistics as { query?: { totalBytesProcessed?: string } } | undefined;
    const bytes = Number(stats?.query?.totalBytesProcessed ?? 0);
    const rowsInWindow = Number(w.rows);
    const keysBytes = Number(k.bytes);
    console.log(
      `${name}: window ${day(start)}..${day(end)}, ${rowsInWindow} rows of history in it\n` +
        `  merge totalBytesProcessed ${bytes} B = keys table ${keysBytes} B (${(keysBytes / Math.max(1, rowsInWindow)).toFixed(1)} B/row)` +
        ` + staging ${bytes - keysBytes} B (${BATCH} rows)\n` +
        `  the target's key columns in the same partitions: ${w.key_bytes} B (${(Number(w.key_bytes) / Math.max(1, rowsInWindow)).toFixed(1)} B/row)\n` +
        `  BigQuery jobs for this load: ${jobs}`,
    );
    // Deterministic (the fake's bytes model), so one run; the per-load overhead is counted in jobs.
    figures.push(
      figure(
        `loader.bigquery.${id}.merge_bytes`,
        `BigQuery merge of ${BATCH} events, ${name}: bytes processed (fake's model)`,
        'B',
        [bytes],
      ),
      figure(`loader.bigquery.${id}.jobs`, `BigQuery jobs per load, ${name}`, 'jobs', [jobs]),
    );
  };
  await scenario('fresh', 'fresh batch (received in the last hour)', NOW - 3_600_000);
  await scenario('late', `late batch (received ${DAYS / 2} days ago)`, NOW - (DAYS / 2) * DAY_MS);
  writeBenchReport({
    bench: 'loader-bigquery',
    figures,
    context: {
      days: DAYS,
      rowsPerDay: ROWS_PER_DAY,
      batch: BATCH,
      windowDays: WINDOW,
      keysBackfillBytes: Number(fillBytes),
    },
  });
} finally {
  await bq.close();
  await gcs.close();
  await rm(dir, { recursive: true, force: true });
}
