// Gateway throughput and latency, next to a bare Hono server, in one run.
//
//   node packages/gateway/bench/gateway.bench.ts [--duration 10] [--connections 50] [--no-publish]
//
// Four runs of autocannon (in this process; the servers are child processes on
// 127.0.0.1): single-event requests and 100-event batch requests, each against
// (a) a bare Hono server that parses JSON and answers 202 and (b) the gateway
// with EVENTKIT_WAL_SYNC=full (fsync before every 2xx), publishing its WAL to
// the Pub/Sub emulator at the same time. Every request body has fresh
// messageIds. Prints a table and writes .bench/gateway.json.
// --no-publish leaves Pub/Sub unreachable (no emulator): the publisher idles in
// backoff, isolating the cost of HTTP, validation and the fsync'd WAL.
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { freeLoopbackPort, REPO_ROOT, startCli, startPubsubEmulator } from '@eventkit/testing';
import autocannon from 'autocannon';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    'no-publish': { type: 'boolean', default: false },
  },
});
const duration = Number(values.duration);
const connections = Number(values.connections);

let seq = 0;
const event = () => ({
  type: 'track',
  event: 'Order Completed',
  userId: `user-${seq % 1000}`,
  messageId: `bench-${process.pid}-${seq++}`,
  timestamp: new Date().toISOString(),
  properties: {
    orderId: `o-${seq}`,
    revenue: 42.5,
    currency: 'EUR',
    products: [{ sku: 'sku-1', price: 42.5 }],
  },
  context: { library: { name: 'analytics-node', version: '3.1.0' }, ip: '203.0.113.9' },
});
const singleBody = () => JSON.stringify(event());
const batchBody = () =>
  JSON.stringify({ batch: Array.from({ length: 100 }, event), sentAt: new Date().toISOString() });

interface Result {
  target: string;
  shape: string;
  requestsPerSec: number;
  eventsPerSec: number;
  p50ms: number;
  p99ms: number;
  non2xx: number;
  errors: number;
}

async function load(target: string, url: string, shape: 'single' | 'batch100'): Promise<Result> {
  const body = shape === 'single' ? singleBody : batchBody;
  // Warm-up (JIT, connection set-up) is not measured.
  await autocannon({
    url,
    method: 'POST',
    connections,
    duration: 2,
    headers: { 'content-type': 'application/json' },
    requests: [{ setupRequest: (req: autocannon.Request) => ({ ...req, body: body() }) }],
  });
  const res = await autocannon({
    url,
    method: 'POST',
    connections,
    duration,
    headers: { 'content-type': 'application/json' },
    requests: [{ setupRequest: (req: autocannon.Request) => ({ ...req, body: body() }) }],
  });
  const perReq = shape === 'single' ? 1 : 100;
  return {
    target,
    shape,
    requestsPerSec: Math.round(res.requests.average),
    eventsPerSec: Math.round(res.requests.average * perReq),
    p50ms: res.latency.p50,
    p99ms: res.latency.p99,
    non2xx: res.non2xx,
    errors: res.errors,
  };
}

const publish = !values['no-publish'];
const emulator = publish ? await startPubsubEmulator() : undefined;
const barePort = await freeLoopbackPort();
const bare = spawn(
  process.execPath,
  [path.join(REPO_ROOT, 'packages/gateway/bench/bare-server.ts'), String(barePort)],
  {
    stdio: 'ignore',
  },
);
const gwPort = await freeLoopbackPort();
const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'eventkit-bench-gw-'));
const gateway = await startCli({
  pkg: 'gateway',
  args: ['serve', '--host', '127.0.0.1', '--port', String(gwPort), '--data-dir', dataDir],
  env: {
    PUBSUB_EMULATOR_HOST: emulator?.host ?? `127.0.0.1:${await freeLoopbackPort()}`,
    EVENTKIT_PUBSUB_CREATE: publish ? 'true' : 'false',
    EVENTKIT_WAL_MAX_PENDING_EVENTS: '100000000',
    EVENTKIT_SHUTDOWN_TIMEOUT: publish ? '25' : '1',
    GCP_PROJECT_ID: 'bench',
    EVENTKIT_WAL_SYNC: 'full',
    EVENTKIT_LOG_LEVEL: 'warn',
    EVENTKIT_JSON_LOGS: 'true',
    EVENTKIT_MAX_REQUEST_BYTES: '1mb',
  },
  readyUrl: `http://127.0.0.1:${gwPort}/ready`,
});
for (let i = 0; i < 100; i++) {
  if ((await fetch(`http://127.0.0.1:${barePort}/ready`).catch(() => undefined))?.ok) break;
  await new Promise((r) => setTimeout(r, 50));
}

const results: Result[] = [];
try {
  for (const shape of ['single', 'batch100'] as const) {
    const pathFor = shape === 'single' ? '/collect' : '/v1/batch';
    results.push(await load('bare Hono (parse + 202)', `http://127.0.0.1:${barePort}${pathFor}`, shape));
    const label = publish
      ? 'eventkit gateway (WAL fsync, publishing)'
      : 'eventkit gateway (WAL fsync, not publishing)';
    results.push(await load(label, `http://127.0.0.1:${gwPort}${pathFor}`, shape));
  }
  const status = await (await fetch(`http://127.0.0.1:${gwPort}/metrics`)).text();
  const commits = /eventkit_gateway_wal_group_commit_rows_count\{[^}]*\} (\d+)/.exec(status)?.[1];
  const rows = /eventkit_gateway_wal_group_commit_rows_sum\{[^}]*\} (\d+)/.exec(status)?.[1];
  console.log(
    `\nWAL commits: ${commits}, rows: ${rows} (mean group commit ${(Number(rows) / Number(commits)).toFixed(1)} rows)`,
  );
} finally {
  await gateway.stop('SIGTERM', 60_000);
  bare.kill('SIGTERM');
  await emulator?.stop();
}

console.log(
  `\nautocannon -c ${connections} -d ${duration}, ${os.cpus().length} cores, Node ${process.version}\n`,
);
console.log('| target | request | req/s | events/s | p50 ms | p99 ms | non-2xx | errors |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of results) {
  console.log(
    `| ${r.target} | ${r.shape} | ${r.requestsPerSec} | ${r.eventsPerSec} | ${r.p50ms} | ${r.p99ms} | ${r.non2xx} | ${r.errors} |`,
  );
}
for (const shape of ['single', 'batch100']) {
  const [b, g] = results.filter((r) => r.shape === shape);
  if (b && g)
    console.log(
      `${shape}: gateway/bare throughput ratio ${(g.requestsPerSec / b.requestsPerSec).toFixed(2)}`,
    );
}
await fs.mkdir(path.join(REPO_ROOT, '.bench'), { recursive: true });
await fs.writeFile(
  path.join(REPO_ROOT, '.bench', 'gateway.json'),
  JSON.stringify({ duration, connections, results }, null, 2),
);
