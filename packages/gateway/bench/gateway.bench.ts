// Gateway throughput, latency and memory, next to a bare Hono server, in one run.
//
//   node packages/gateway/bench/gateway.bench.ts [--seconds 5] [--runs 3]
//        [--concurrency 10,50,100]
//
// Three servers, child processes on 127.0.0.1: (a) a bare Hono server that
// parses the JSON body and answers 202 (bare-server.ts), (b) the gateway with
// EVENTKIT_WAL_SYNC=full (fsync before every 2xx) publishing its WAL to the
// Pub/Sub emulator, (c) the same gateway with Pub/Sub unreachable (its
// publisher idles in backoff: HTTP, validation and the fsync'd WAL alone).
// Load comes from a separate process (load-process.ts, autocannon). For each
// request shape (single events on /collect, 100-event batches on /v1/batch)
// and concurrency, the three targets take turns run after run, so the
// machine's noise falls on all of them alike; after each run of (b) the bench
// waits for its WAL to be published, so its publishing never overlaps another
// target's run. Figures are medians of --runs runs, with min and max, and the
// ratio to bare Hono at the same concurrency. Then: p99 of (b) at half its
// maximum single-event rate, and (b)'s peak RSS over all its runs.
// Writes EVENTKIT_BENCH_OUT (see @eventkit/testing's bench figures) and prints a table.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
  options: {
    seconds: { type: 'string', default: '5' },
    runs: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '10,50,100' },
  },
});
const SECONDS = Number(values.seconds);
const RUNS = Number(values.runs);
const CONCURRENCY = values.concurrency.split(',').map(Number);
const BATCH_CONCURRENCY = 50;
const LOAD = path.join(REPO_ROOT, 'packages/gateway/bench/load-process.ts');
const say = (...a: unknown[]) => console.error('[bench]', ...a);

interface LoadResult {
  requestsPerSec: number;
  eventsPerSec: number;
  p50ms: number;
  p99ms: number;
  non2xx: number;
  errors: number;
}
type Shape = 'single' | 'batch100';

function load(url: string, shape: Shape, connections: number, seconds: number, rate = 0): LoadResult {
  const out = execFileSync(
    process.execPath,
    [LOAD, JSON.stringify({ url, shape, connections, seconds, rate })],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    },
  );
  return JSON.parse(out.trim().split('\n').pop() ?? '{}') as LoadResult;
}

function rssMiB(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : 0;
  } catch {
    return 0;
  }
}

async function pendingEvents(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(/^eventkit_gateway_wal_pending_events(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1] ?? Number.NaN);
}

async function startGateway(
  publish: boolean,
  pubsubHost: string,
): Promise<{ proc: CliProcess; port: number }> {
  const port = await freeLoopbackPort();
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'eventkit-bench-gw-'));
  const proc = await startCli({
    pkg: 'gateway',
    args: ['serve', '--host', '127.0.0.1', '--port', String(port), '--data-dir', dataDir],
    env: {
      PUBSUB_EMULATOR_HOST: pubsubHost,
      EVENTKIT_PUBSUB_CREATE: publish ? 'true' : 'false',
      EVENTKIT_WAL_MAX_PENDING_EVENTS: '100000000',
      EVENTKIT_WAL_MAX_PENDING_BYTES: String(64 * 1024 ** 3),
      EVENTKIT_SHUTDOWN_TIMEOUT: publish ? '25' : '1',
      GCP_PROJECT_ID: 'bench',
      EVENTKIT_WAL_SYNC: 'full',
      EVENTKIT_LOG_LEVEL: 'warn',
      EVENTKIT_JSON_LOGS: 'true',
      EVENTKIT_MAX_REQUEST_BYTES: '1mb',
    },
    readyUrl: `http://127.0.0.1:${port}/ready`,
  });
  return { proc, port };
}

const emulator = await startPubsubEmulator();
const barePort = await freeLoopbackPort();
const bare = spawn(
  process.execPath,
  [path.join(REPO_ROOT, 'packages/gateway/bench/bare-server.ts'), String(barePort)],
  {
    stdio: 'ignore',
  },
);
const pub = await startGateway(true, emulator.host);
const nopub = await startGateway(false, `127.0.0.1:${await freeLoopbackPort()}`);
for (let i = 0; i < 100; i++) {
  if ((await fetch(`http://127.0.0.1:${barePort}/ready`).catch(() => undefined))?.ok) break;
  await new Promise((r) => setTimeout(r, 50));
}

const targets = [
  { key: 'bare', label: 'bare Hono (parse + 202)', port: barePort },
  { key: 'gateway', label: 'gateway (fsync, publishing)', port: pub.port },
  { key: 'gateway_nopub', label: 'gateway (fsync, not publishing)', port: nopub.port },
] as const;
const pathFor = (shape: Shape) => (shape === 'single' ? '/collect' : '/v1/batch');
let peakRss = 0;
let failedRequests = 0;

/** Waits (at most 120 s) for the publishing gateway's WAL to be published, sampling its RSS. */
async function settle(): Promise<void> {
  const until = Date.now() + 120_000;
  while (Date.now() < until) {
    peakRss = Math.max(peakRss, rssMiB(pub.proc.pid));
    if ((await pendingEvents(pub.port)) === 0) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  say('the publishing gateway did not drain its WAL within 120 s');
}

const figures: Figure[] = [];
try {
  const cases: [Shape, number][] = [
    ...CONCURRENCY.map((c): [Shape, number] => ['single', c]),
    ['batch100', BATCH_CONCURRENCY],
  ];
  for (const [shape, c] of cases) {
    for (const t of targets) load(`http://127.0.0.1:${t.port}${pathFor(shape)}`, shape, c, 2); // warm-up
    await settle();
    const results = new Map<string, LoadResult[]>(targets.map((t) => [t.key, []]));
    for (let run = 0; run < RUNS; run++) {
      for (const t of targets) {
        const sampler = setInterval(() => {
          if (t.key === 'gateway') peakRss = Math.max(peakRss, rssMiB(pub.proc.pid));
        }, 250);
        const r = load(`http://127.0.0.1:${t.port}${pathFor(shape)}`, shape, c, SECONDS);
        clearInterval(sampler);
        failedRequests += r.non2xx + r.errors;
        results.get(t.key)?.push(r);
        if (t.key === 'gateway') await settle();
      }
      say(
        shape,
        `c=${c}`,
        `run ${run + 1}/${RUNS}`,
        targets
          .map((t) => `${t.key} ${Math.round(results.get(t.key)?.at(-1)?.eventsPerSec ?? 0)} ev/s`)
          .join(', '),
      );
    }
    const bareEps = (results.get('bare') ?? []).map((r) => r.eventsPerSec);
    for (const t of targets) {
      const rs = results.get(t.key) ?? [];
      const tags = { shape, concurrency: c, target: t.key };
      figures.push(
        figure(
          `${t.key}.${shape}.c${c}.events_per_s`,
          `${t.label}, ${shape}, ${c} connections`,
          'events/s',
          rs.map((r) => r.eventsPerSec),
          {
            ...(t.key === 'bare' ? {} : { ceiling: { label: 'bare Hono', values: bareEps } }),
            tags,
          },
        ),
        figure(
          `${t.key}.${shape}.c${c}.p99_ms`,
          `${t.label}, ${shape}, ${c} connections: p99`,
          'ms',
          rs.map((r) => r.p99ms),
          { tags },
        ),
      );
    }
  }
  // p99 at half the maximum single-event rate of the publishing gateway (50 connections).
  const max = figures.find((f) => f.id === 'gateway.single.c50.events_per_s')?.median;
  if (max) {
    const rate = Math.round(max / 2);
    const p99s: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const r = load(`http://127.0.0.1:${pub.port}/collect`, 'single', 50, SECONDS, rate);
      failedRequests += r.non2xx + r.errors;
      p99s.push(r.p99ms);
      await settle();
    }
    figures.push(
      figure(
        'gateway.single.half_rate.p99_ms',
        `gateway (fsync, publishing), single, at half its maximum (${rate} req/s): p99`,
        'ms',
        p99s,
        {
          tags: { rate },
        },
      ),
    );
  }
  figures.push(
    figure('gateway.peak_rss_mib', 'gateway (publishing): peak RSS over every run', 'MiB', [peakRss]),
  );
} finally {
  await pub.proc.stop('SIGTERM', 60_000);
  await nopub.proc.stop('SIGTERM', 10_000);
  bare.kill('SIGTERM');
  await emulator.stop();
}

writeBenchReport({
  bench: 'gateway',
  figures,
  context: {
    seconds: SECONDS,
    runs: RUNS,
    concurrency: CONCURRENCY,
    batchConcurrency: BATCH_CONCURRENCY,
    failedRequests,
  },
});
console.log(
  `\n${RUNS} runs of ${SECONDS} s each, ${os.cpus().length} cores, Node ${process.version}; failed requests: ${failedRequests}\n`,
);
console.log('| figure | median | min | max | ratio to bare Hono |');
console.log('|---|---:|---:|---:|---:|');
for (const f of figures) {
  console.log(`| ${f.label} | ${f.median} ${f.unit} | ${f.min} | ${f.max} | ${f.ratio ?? ''} |`);
}
