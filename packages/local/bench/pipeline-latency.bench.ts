// End-to-end latency of the whole pipeline, each role its own process as in production: the
// gateway (fsync'd WAL) publishing to the Pub/Sub emulator, a worker writing Parquet files,
// a loader looping into DuckDB. Issue 12's end-to-end targets: acknowledgement → durable sink
// write p50/p99 ≤ 1 s / 2 s at half load, acknowledgement → queryable ≤ 10 s.
//
//   node packages/local/bench/pipeline-latency.bench.ts [--runs 3] [--seconds 20]
//
// Per run: (1) the maximum single-event rate this pipeline acknowledges (autocannon, 50
// connections, 5 s, from gateway/bench/load-process.ts); (2) once that backlog is stored and
// loaded, single track events at half that rate for --seconds from paced-load.ts, which
// records each event's acknowledgement time; (3) when every acknowledged event is in the
// warehouse, for each event:
//   sink write  = the modification time of the Parquet file holding it (written, fsync'd and
//                 renamed before the worker acks the message),
//   queryable   = the time of the loader's `load_job_finished` log line for the job that
//                 loaded that file (logged after the job's transaction committed),
// each minus the event's acknowledgement time. The worker and loader run with the latency
// settings `make dev` uses (flush every 1 s, load every 5 s), not the production defaults
// (60 s and 300 s: fewer, larger files), which bound these latencies by design.
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  type CliProcess,
  type Figure,
  figure,
  freeLoopbackPort,
  REPO_ROOT,
  startCli,
  startPubsubEmulator,
  writeBenchReport,
} from '@eventkit/testing';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '3' }, seconds: { type: 'string', default: '20' } },
});
const RUNS = Number(values.runs);
const SECONDS = Number(values.seconds);
const MAX_LOAD = path.join(REPO_ROOT, 'packages/gateway/bench/load-process.ts');
const PACED_LOAD = path.join(REPO_ROOT, 'packages/local/bench/paced-load.ts');
/** How long every acknowledged event may take to become queryable before the run fails. */
const LOADED_WITHIN_MS = 120_000;
const say = (...a: unknown[]) => console.error('[bench]', ...a);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Pipeline {
  gateway: CliProcess;
  worker: CliProcess;
  loader: CliProcess;
  gatewayPort: number;
  dataDir: string;
  env: Record<string, string>;
}

async function startPipeline(pubsubHost: string, run: number): Promise<Pipeline> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'eventkit-bench-e2e-'));
  const gatewayPort = await freeLoopbackPort();
  const workerPort = await freeLoopbackPort();
  const env = {
    PUBSUB_EMULATOR_HOST: pubsubHost,
    GCP_PROJECT_ID: 'bench',
    EVENTKIT_PUBSUB_TOPIC: `e2e-${run}`,
    EVENTKIT_PUBSUB_SUBSCRIPTION: `e2e-${run}-worker`,
    EVENTKIT_PUBSUB_CREATE: 'true',
    EVENTKIT_EVENT_STORE: 'file',
    EVENTKIT_WAREHOUSE: 'duckdb',
    EVENTKIT_DATA_DIR: dataDir,
    EVENTKIT_JSON_LOGS: 'true',
    EVENTKIT_LOG_LEVEL: 'warn',
  };
  const gateway = await startCli({
    pkg: 'gateway',
    args: ['serve', '--host', '127.0.0.1', '--port', String(gatewayPort)],
    env: {
      ...env,
      EVENTKIT_DATA_DIR: path.join(dataDir, 'gateway'),
      EVENTKIT_WAL_SYNC: 'full',
      EVENTKIT_WAL_MAX_PENDING_EVENTS: '100000000',
      EVENTKIT_WAL_MAX_PENDING_BYTES: String(64 * 1024 ** 3),
    },
    readyUrl: `http://127.0.0.1:${gatewayPort}/ready`,
  });
  const worker = await startCli({
    pkg: 'worker',
    args: ['run'],
    env: {
      ...env,
      EVENTKIT_METRICS_HOST: '127.0.0.1',
      EVENTKIT_METRICS_PORT: String(workerPort),
      EVENTKIT_EVENTLOADER_FLUSH_INTERVAL: '1',
    },
    readyUrl: `http://127.0.0.1:${workerPort}/ready`,
  });
  // info: the load_job_finished lines are the queryable times.
  const loader = await startCli({
    pkg: 'loader',
    args: ['run'],
    env: { ...env, EVENTKIT_LOG_LEVEL: 'info', EVENTKIT_WAREHOUSE_LOADER_INTERVAL: '5' },
  });
  return { gateway, worker, loader, gatewayPort, dataDir, env };
}

function query<T>(pipeline: Pipeline, sql: string): T[] {
  const out = execFileSync(
    process.execPath,
    [path.join(REPO_ROOT, 'packages/loader/src/cli.ts'), 'query', '--json', sql],
    { encoding: 'utf8', env: { ...process.env, ...pipeline.env }, maxBuffer: 256 << 20 },
  );
  return JSON.parse(out) as T[];
}

function loadedCount(pipeline: Pipeline, prefix: string): number {
  try {
    const [row] = query<{ n: number | string }>(
      pipeline,
      `select count(*) as n from events.raw_events where message_id like '${prefix}-%'`,
    );
    return Number(row?.n ?? 0);
  } catch {
    return 0; // the tables do not exist before the first load
  }
}

async function waitLoaded(pipeline: Pipeline, prefix: string, expected: number): Promise<void> {
  const deadline = Date.now() + LOADED_WITHIN_MS;
  for (;;) {
    const n = loadedCount(pipeline, prefix);
    if (n >= expected) return;
    if (Date.now() > deadline) throw new Error(`${n} of ${expected} ${prefix} events loaded`);
    await sleep(2000);
  }
}

function maxRate(pipeline: Pipeline): number {
  const out = execFileSync(
    process.execPath,
    [
      MAX_LOAD,
      JSON.stringify({
        url: `http://127.0.0.1:${pipeline.gatewayPort}/collect`,
        shape: 'single',
        connections: 50,
        seconds: 5,
      }),
    ],
    { encoding: 'utf8' },
  );
  return (JSON.parse(out.trim().split('\n').pop() ?? '{}') as { eventsPerSec: number }).eventsPerSec;
}

function pacedLoad(pipeline: Pipeline, rate: number, prefix: string, out: string) {
  const line = execFileSync(
    process.execPath,
    [
      PACED_LOAD,
      JSON.stringify({
        url: `http://127.0.0.1:${pipeline.gatewayPort}/v1/track`,
        rate,
        seconds: SECONDS,
        connections: 50,
        prefix,
        out,
      }),
    ],
    { encoding: 'utf8' },
  );
  return JSON.parse(line.trim().split('\n').pop() ?? '{}') as { acked: number; sent: number; rate: number };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Per acknowledged event: ms to its sink file's write and to its load job's commit. */
function latencies(pipeline: Pipeline, prefix: string, acksFile: string) {
  const acks = new Map(
    (JSON.parse(readFileSync(acksFile, 'utf8')) as [number, number][]).map(([i, ms]) => [
      `${prefix}-${i}`,
      ms,
    ]),
  );
  const rows = query<{ message_id: string; filename: string }>(
    pipeline,
    `select message_id, filename from read_parquet('${pipeline.dataDir}/**/*.parquet', filename = true) where message_id like '${prefix}-%'`,
  );
  const jobOfKey = new Map(
    query<{ key: string; job_id: string }>(pipeline, 'select key, job_id from events._loaded_files').map(
      (r) => [r.key, r.job_id],
    ),
  );
  const jobDone = new Map<string, number>();
  for (const line of pipeline.loader.output().split('\n')) {
    if (!line.includes('load_job_finished')) continue;
    const log = JSON.parse(line) as { job_id: string; timestamp?: string; time?: string | number };
    jobDone.set(log.job_id, new Date(log.timestamp ?? log.time ?? Number.NaN).getTime());
  }
  const toSink: number[] = [];
  const toQuery: number[] = [];
  const mtime = new Map<string, number>();
  for (const { message_id, filename } of rows) {
    const acked = acks.get(message_id);
    if (acked === undefined) continue;
    if (!mtime.has(filename)) mtime.set(filename, statSync(filename).mtimeMs);
    toSink.push(mtime.get(filename)! - acked);
    const key = path.relative(pipeline.dataDir, filename);
    const done = jobDone.get(jobOfKey.get(key) ?? '');
    if (done !== undefined) toQuery.push(done - acked);
  }
  return { toSink: toSink.sort((a, b) => a - b), toQuery: toQuery.sort((a, b) => a - b), events: acks.size };
}

async function stop(pipeline: Pipeline): Promise<void> {
  await pipeline.loader.stop('SIGTERM', 30_000);
  await pipeline.worker.stop('SIGTERM', 30_000);
  await pipeline.gateway.stop('SIGTERM', 30_000);
  await fs.rm(pipeline.dataDir, { recursive: true, force: true });
}

const emulator = await startPubsubEmulator();
const results = {
  max: [] as number[],
  rate: [] as number[],
  sinkP50: [] as number[],
  sinkP99: [] as number[],
  queryP50: [] as number[],
  queryP99: [] as number[],
  queryMax: [] as number[],
};
try {
  for (let run = 0; run < RUNS; run++) {
    const pipeline = await startPipeline(emulator.host, run);
    try {
      const max = maxRate(pipeline);
      say(`run ${run + 1}: maximum ${Math.round(max)} events/s; waiting for that backlog to be loaded`);
      await sleep(15_000);
      const prefix = `e2e${run}`;
      const acksFile = path.join(pipeline.dataDir, 'acks.json');
      const paced = pacedLoad(pipeline, Math.round(max / 2), prefix, acksFile);
      say(`run ${run + 1}: ${paced.acked} of ${paced.sent} acknowledged at ${Math.round(paced.rate)}/s`);
      await waitLoaded(pipeline, prefix, paced.acked);
      const l = latencies(pipeline, prefix, acksFile);
      if (l.toSink.length !== l.events || l.toQuery.length !== l.events) {
        throw new Error(
          `timed ${l.toSink.length} sink and ${l.toQuery.length} load times of ${l.events} events`,
        );
      }
      results.max.push(max);
      results.rate.push(paced.rate);
      results.sinkP50.push(percentile(l.toSink, 50));
      results.sinkP99.push(percentile(l.toSink, 99));
      results.queryP50.push(percentile(l.toQuery, 50) / 1000);
      results.queryP99.push(percentile(l.toQuery, 99) / 1000);
      results.queryMax.push(l.toQuery.at(-1)! / 1000);
      say(
        `run ${run + 1}: sink p50 ${results.sinkP50.at(-1)} ms p99 ${results.sinkP99.at(-1)} ms; queryable p50 ${results.queryP50.at(-1)} s p99 ${results.queryP99.at(-1)} s`,
      );
    } finally {
      await stop(pipeline);
    }
  }
} finally {
  await emulator.stop();
}

const figures: Figure[] = [
  figure('e2e.max', 'pipeline, single events, 50 connections: maximum acknowledged', 'events/s', results.max),
  figure('e2e.half', 'pipeline at half that rate: events/s sent', 'events/s', results.rate),
  figure('e2e.sink.p50', 'acknowledgement → durable sink write (Parquet file), p50', 'ms', results.sinkP50),
  figure('e2e.sink.p99', 'acknowledgement → durable sink write (Parquet file), p99', 'ms', results.sinkP99),
  figure('e2e.query.p50', 'acknowledgement → queryable in DuckDB, p50', 's', results.queryP50),
  figure('e2e.query.p99', 'acknowledgement → queryable in DuckDB, p99', 's', results.queryP99),
  figure('e2e.query.max', 'acknowledgement → queryable in DuckDB, slowest event', 's', results.queryMax),
];
writeBenchReport({
  bench: 'pipeline-latency',
  figures,
  context: { seconds: SECONDS, runs: RUNS, workerFlushSeconds: 1, loaderIntervalSeconds: 5 },
});
for (const f of figures) console.log(`${f.label}: ${f.median} ${f.unit} (${f.min}–${f.max})`);
