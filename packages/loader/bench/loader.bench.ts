// Load throughput into the local DuckDB warehouse, in events per second.
//
//   node packages/loader/bench/loader.bench.ts [events=1000000] [files=100] [runs=3]
//
// Not a test: timings depend on the machine. The files are written the way the
// worker writes them (DuckDB COPY … TO parquet, zstd, the warehouse columns,
// JSON as text) into the object layout under a temporary data directory, and
// the real loader (createLoader + FileObjectStore + DuckDbWarehouse) loads them.
//   1. distinct: every event once, in `files` files, one run.
//   2. duplicates: the same events again in 20% extra files (redeliveries: same
//      message_id and received_at), half of them loaded with their originals in
//      run 1, half in run 2 against the table run 1 filled. The warehouse must
//      end with each message_id exactly once.
// Throughput counts rows read from files per second of loader time (listing,
// staging, dedup, insert, ledger); file writing is not timed.
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { FileObjectStore } from '@eventkit/shared/local';
import { figure, writeBenchReport } from '@eventkit/testing';
import { createLoader } from '../src/core/loader.ts';
import { defaultLoaderSettings } from '../src/testing/settings.ts';
import { withDuckDb } from '../src/warehouse/duckdb/duckdb-file.ts';
import { DuckDbWarehouse } from '../src/warehouse/duckdb/duckdb-warehouse.ts';

const EVENTS = Number(process.argv[2] ?? 1_000_000);
const FILES = Number(process.argv[3] ?? 100);
const PER_FILE = Math.ceil(EVENTS / FILES);
const RUNS = Number(process.argv[4] ?? 3);

const generator = await (await DuckDBInstance.create(':memory:')).connect();
await generator.run(`SET TimeZone = 'UTC'`);

/** Writes events [from, to) as one worker file in hour folder `hour`; returns its key. */
async function writeFile(dataDir: string, from: number, to: number, hour: number): Promise<string> {
  const folder = `events/stream=events/date=2026-11-27/hour=${String(hour).padStart(2, '0')}`;
  await mkdir(join(dataDir, folder), { recursive: true });
  const key = `${folder}/w${from % 7}-${randomUUID()}.parquet`;
  await generator.run(`COPY (
    SELECT 'msg-' || lpad(i::VARCHAR, 9, '0') AS message_id,
      ['web', 'ios', 'android'][1 + i % 3] AS source,
      CASE WHEN i % 10 = 0 THEN 'page' ELSE 'track' END AS type,
      CASE WHEN i % 10 = 0 THEN NULL ELSE 'Product Viewed ' || (i % 40) END AS event,
      CASE WHEN i % 10 = 0 THEN 'Pricing' ELSE NULL END AS name,
      'user-' || (i % 100000) AS user_id,
      'anon-' || md5(i::VARCHAR)[1:16] AS anonymous_id,
      NULL::VARCHAR AS group_id, NULL::VARCHAR AS previous_id,
      'events' AS stream,
      ts AS timestamp, ts - INTERVAL 2 SECOND AS original_timestamp, ts - INTERVAL 1 SECOND AS sent_at,
      ts AS received_at, NULL::TIMESTAMPTZ AS loaded_at,
      '{"product_id":"p-' || (i % 5000) || '","price":' || (i % 1000) / 10 || ',"currency":"EUR","quantity":' || (1 + i % 4) || '}' AS properties,
      NULL::VARCHAR AS traits,
      '{"library":{"name":"analytics.js","version":"5.2.0"},"ip":"203.0.113.' || (i % 255) || '","userAgent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36","page":{"path":"/products/' || (i % 977) || '","referrer":"https://www.example.com/"},"locale":"en-US"}' AS context,
      '{"All":true}' AS integrations
    FROM (SELECT range AS i, TIMESTAMPTZ '2026-11-27 10:00:00+00' + to_microseconds(range * 3600) AS ts
          FROM range(${from}, ${to}))
  ) TO '${join(dataDir, key)}' (FORMAT parquet, COMPRESSION zstd)`);
  return key;
}

interface Scenario {
  name: string;
  rowsRead: number;
  seconds: number;
  /** CPU seconds of this process (all threads) during the runs: less sensitive to a busy machine. */
  cpuSeconds: number;
  rows: number;
  distinct: number;
}

async function measure(name: string, dataDir: string, runs: (() => Promise<void>)[]): Promise<Scenario> {
  const path = join(dataDir, 'warehouse.duckdb');
  const loader = () =>
    createLoader({
      ...defaultLoaderSettings(),
      store: new FileObjectStore(dataDir),
      warehouse: new DuckDbWarehouse({ path, dataset: 'events', table: 'raw_events' }),
    });
  let seconds = 0;
  let cpuSeconds = 0;
  let rowsRead = 0;
  for (const writeBefore of runs) {
    await writeBefore();
    const started = performance.now();
    const cpu = process.cpuUsage();
    const report = await loader().runOnce();
    const used = process.cpuUsage(cpu);
    cpuSeconds += (used.user + used.system) / 1e6;
    seconds += (performance.now() - started) / 1000;
    if (!report.ok) throw report.error;
    rowsRead += report.rowsRead;
    console.log(
      `  ${name} run: ${report.files} files, ${report.jobs} job(s), ${report.rowsRead.toLocaleString('en-US')} rows read, ${report.rowsInserted.toLocaleString('en-US')} inserted, ${((performance.now() - started) / 1000).toFixed(2)} s`,
    );
  }
  const [row] = await withDuckDb(path, { readOnly: true }, async (c) =>
    (
      await c.runAndReadAll(
        'SELECT count(*) AS n, count(DISTINCT (source, message_id)) AS d FROM events.raw_events',
      )
    ).getRowsJS(),
  );
  return { name, rowsRead, seconds, cpuSeconds, rows: Number(row?.[0]), distinct: Number(row?.[1]) };
}

async function scenarioDistinct(): Promise<Scenario> {
  const dir = await mkdtemp(join(tmpdir(), 'eventkit-bench-'));
  try {
    return await measure('distinct', dir, [
      async () => {
        for (let f = 0; f < FILES; f++)
          await writeFile(dir, f * PER_FILE, Math.min(EVENTS, (f + 1) * PER_FILE), 10);
      },
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function scenarioDuplicates(): Promise<Scenario> {
  const dir = await mkdtemp(join(tmpdir(), 'eventkit-bench-'));
  const half = Math.floor(FILES / 2);
  const dupPerRun = Math.max(1, Math.floor(FILES / 10));
  const range = (f: number): [number, number] => [f * PER_FILE, Math.min(EVENTS, (f + 1) * PER_FILE)];
  try {
    return await measure('duplicates', dir, [
      async () => {
        for (let f = 0; f < half; f++) await writeFile(dir, ...range(f), 10);
        // Redeliveries of run 1's own files, arriving with them.
        for (let d = 0; d < dupPerRun; d++) await writeFile(dir, ...range((d * 7) % half), 10);
      },
      async () => {
        for (let f = half; f < FILES; f++) await writeFile(dir, ...range(f), 11);
        // Redeliveries of files run 1 already loaded, arriving an hour later.
        for (let d = 0; d < dupPerRun; d++) await writeFile(dir, ...range((d * 11 + 3) % half), 11);
      },
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

console.log(
  `loader → DuckDB: ${EVENTS.toLocaleString('en-US')} events in ${FILES} files of ${PER_FILE.toLocaleString('en-US')} (Node ${process.version}, ${availableParallelism()} CPUs, load average ${loadavg()[0]?.toFixed(2)})`,
);
const perScenario = new Map<string, number[]>();
for (let run = 1; run <= RUNS; run++) {
  for (const scenario of [scenarioDistinct, scenarioDuplicates]) {
    const s = await scenario();
    const exact = s.rows === EVENTS && s.distinct === EVENTS;
    const rate = s.rowsRead / s.seconds;
    perScenario.set(s.name, [...(perScenario.get(s.name) ?? []), rate]);
    console.log(
      `run ${run}/${RUNS} ${s.name}: ${Math.round(rate).toLocaleString('en-US')} events/s (${s.rowsRead.toLocaleString('en-US')} rows read in ${s.seconds.toFixed(2)} s, ${s.cpuSeconds.toFixed(1)} CPU s); table: ${s.rows.toLocaleString('en-US')} rows, ${s.distinct.toLocaleString('en-US')} distinct — ${exact ? 'each message_id exactly once' : 'MISMATCH'}`,
    );
    if (!exact) process.exitCode = 1;
  }
}
writeBenchReport({
  bench: 'loader',
  figures: [
    figure(
      'loader.duckdb.distinct.events_per_s',
      `loader → DuckDB, ${EVENTS.toLocaleString('en-US')} distinct events in ${FILES} files`,
      'events/s',
      perScenario.get('distinct') ?? [],
    ),
    figure(
      'loader.duckdb.duplicates.events_per_s',
      'loader → DuckDB, the same with 20 % redelivered files (two runs)',
      'events/s',
      perScenario.get('duplicates') ?? [],
    ),
  ],
  context: { events: EVENTS, files: FILES, runs: RUNS },
});
