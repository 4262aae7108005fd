// Worker throughput and memory, measured on this machine (not a test).
//
//   node packages/worker/bench/worker.bench.ts [--events 200000] [--firestore-events 20000]
//        [--backlog 1000000] [--max-seconds 120] [--json]
//
// Starts its own Pub/Sub and Firestore emulators and a fake GCS server, then:
//  1. Parquet encoding events/s (DuckDB appender + COPY, zstd), per CPU-second:
//     one file at a time, and 16 files requested together (a flush of every partition).
//  2. Events/s from the Pub/Sub emulator through a subscriber that only acks
//     (the ceiling the emulator and client allow), then through the real
//     worker (`eventkit-worker run`, a child process) into each sink: file,
//     gcs (fake GCS server), firestore (emulator) — same envelopes, same run.
//  3. Worker RSS while it drains a backlog of 1M events (10,000 envelopes of
//     100 events), sampled from /proc every 250 ms, bounded by --max-seconds;
//     and the RSS of an idle worker for comparison.
// The Pub/Sub emulator redelivers messages that were held for a second or two
// even after they were acked (a bare @google-cloud/pubsub subscriber shows the
// same), so worker runs report redelivered messages: at-least-once delivery
// writes their events twice, and they are deduplicated downstream.
// Envelopes are 100 events each, as the gateway publishes them.
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { encodeEnvelope, type RoutedEvent } from '@eventkit/shared';
import { sampleEvent } from '@eventkit/shared/contracts';
import {
  createPubSubClient,
  ensureSubscription,
  PubSubPublisher,
  PubSubSubscriber,
} from '@eventkit/shared/pubsub';
import { startFakeGcs, startFirestoreEmulator, startPubsubEmulator } from '@eventkit/testing';
import { ParquetEncoder } from '../src/sinks/parquet.ts';
import { freePort, startWorkerProcess, type WorkerProcess } from '../src/testing/child.ts';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    'firestore-events': { type: 'string', default: '20000' },
    backlog: { type: 'string', default: '1000000' },
    'max-seconds': { type: 'string', default: '120' },
    json: { type: 'boolean', default: false },
  },
});
const EVENTS = Number(args.events);
const FIRESTORE_EVENTS = Number(args['firestore-events']);
const BACKLOG = Number(args.backlog);
const MAX_SECONDS = Number(args['max-seconds']);
const PER_ENVELOPE = 100;
const PROJECT = 'eventkit-bench';

process.env.METADATA_SERVER_DETECTION = 'none';
const log = (...a: unknown[]) => {
  if (!args.json) console.error('[bench]', ...a);
};

function eventsFrom(start: number, count: number): RoutedEvent[] {
  const receivedAt = new Date().toISOString();
  return Array.from({ length: count }, (_, i) => {
    const e = sampleEvent(start + i);
    return {
      ...e,
      requestId: `req-${Math.floor((start + i) / PER_ENVELOPE)}`,
      event: { ...e.event, receivedAt },
    };
  });
}

// ── 1. Parquet encoding ──────────────────────────────────────────────────────
async function benchEncoding() {
  const encoder = await ParquetEncoder.create();
  const result: Record<string, unknown> = {};
  // [events per file, files requested together]: 16 × 1000 is a flush of every partition at the default batch size.
  for (const [batch, together] of [
    [1000, 1],
    [1000, 16],
    [10_000, 1],
  ] as const) {
    const total = 160_000;
    const batches = Array.from({ length: total / batch }, (_, b) => eventsFrom(b * batch, batch));
    await Promise.all(batches.slice(0, together).map((b) => encoder.encode(b))); // warm up
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let bytes = 0;
    for (let i = 0; i < batches.length; i += together) {
      const files = await Promise.all(batches.slice(i, i + together).map((b) => encoder.encode(b)));
      for (const f of files) bytes += f.length;
    }
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const key = `files_of_${batch}_x${together}`;
    result[key] = {
      events: total,
      events_per_s_wall: Math.round(total / wall),
      events_per_cpu_s: Math.round(total / cpuSeconds),
      bytes_per_event: Math.round((bytes / total) * 10) / 10,
    };
    log(`encoding, ${key}:`, result[key]);
  }
  await encoder.close();
  return result;
}

// ── 2./3. Through Pub/Sub ────────────────────────────────────────────────────
async function publishBacklog(
  pubsubHost: string,
  total: number,
): Promise<{ topic: string; subscription: string }> {
  const pubsub = createPubSubClient({ projectId: PROJECT, emulatorHost: pubsubHost });
  const topic = `bench-${randomUUID()}`;
  const subscription = `${topic}-sub`;
  await ensureSubscription(pubsub, { topic, subscription, create: true, ackDeadlineSeconds: 60 });
  const publisher = new PubSubPublisher({ pubsub, topic });
  const t0 = performance.now();
  let inFlight: Promise<string>[] = [];
  for (let start = 0; start < total; start += PER_ENVELOPE) {
    const env = await encodeEnvelope('events', eventsFrom(start, Math.min(PER_ENVELOPE, total - start)));
    inFlight.push(publisher.publish(env.data, env.attributes));
    if (inFlight.length >= 500) {
      await Promise.all(inFlight);
      inFlight = [];
    }
  }
  await Promise.all(inFlight);
  await publisher.close();
  await pubsub.close();
  log(`published ${total} events in ${Math.round(performance.now() - t0)} ms`);
  return { topic, subscription };
}

async function benchAckOnly(pubsubHost: string, total: number) {
  const { subscription } = await publishBacklog(pubsubHost, total);
  const pubsub = createPubSubClient({ projectId: PROJECT, emulatorHost: pubsubHost });
  const messages = Math.ceil(total / PER_ENVELOPE);
  let acked = 0;
  let first = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => {
    done = r;
  });
  const sub = new PubSubSubscriber({
    pubsub,
    subscription,
    flowControl: { maxMessages: 500, maxBytes: 64 * 1024 * 1024 },
    streams: 4,
  });
  await sub.start(async () => {
    if (acked === 0) first = performance.now();
    if (++acked === messages) done();
    return 'ack';
  });
  const timeout = setTimeout(done, MAX_SECONDS * 1000);
  await finished;
  clearTimeout(timeout);
  const seconds = (performance.now() - first) / 1000;
  await sub.stop();
  await pubsub.close();
  const result = {
    events: Math.min(total, acked * PER_ENVELOPE),
    messages_per_s: Math.round(acked / seconds),
    events_per_s: Math.round((acked * PER_ENVELOPE) / seconds),
  };
  log('ack-only subscriber:', result);
  return result;
}

async function metrics(port: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line === '') continue;
    const name = line.slice(0, line.search(/[ {]/));
    out.set(name, (out.get(name) ?? 0) + Number(line.split(' ').pop()));
  }
  return out;
}

async function rssKiB(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

interface WorkerRun {
  /** Events published (each written at least once when drained). */
  events: number;
  /** Events written, redeliveries included. */
  events_written: number;
  /** Published events per second, from the first message received to the last ack. */
  events_per_s: number;
  /** Messages delivered again (lease expired under load, or nacked): their events are written twice. */
  redelivered_messages: number;
  max_event_loop_lag_ms: number;
  seconds: number;
  drained: boolean;
  peak_rss_mib: number;
  /** Largest V8 heap in use seen by /metrics (sampled every 250 ms). */
  peak_heap_used_mib: number;
  rss_at_end_mib: number;
}

/** RSS of a worker with nothing to do: listening, subscribed, sink checked. */
async function idleRss(pubsubHost: string, dir: string): Promise<number> {
  const queue = await publishBacklog(pubsubHost, 0);
  const port = await freePort();
  const worker = startWorkerProcess({
    GCP_PROJECT_ID: PROJECT,
    PUBSUB_EMULATOR_HOST: pubsubHost,
    EVENTKIT_PUBSUB_TOPIC: queue.topic,
    EVENTKIT_PUBSUB_SUBSCRIPTION: queue.subscription,
    EVENTKIT_METRICS_PORT: String(port),
    EVENTKIT_LOG_LEVEL: 'warn',
    EVENTKIT_EVENT_STORE: 'file',
    EVENTKIT_DATA_DIR: dir,
  });
  try {
    for (let i = 0; i < 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const ready = await fetch(`http://127.0.0.1:${port}/ready`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ready) break;
    }
    await new Promise((r) => setTimeout(r, 1000));
    return Math.round((await rssKiB(worker.pid)) / 1024);
  } finally {
    worker.kill('SIGTERM');
    await worker.exited;
  }
}

async function benchWorker(
  name: string,
  pubsubHost: string,
  total: number,
  env: Record<string, string>,
): Promise<WorkerRun> {
  const queue = await publishBacklog(pubsubHost, total);
  const port = await freePort();
  const worker: WorkerProcess = startWorkerProcess({
    GCP_PROJECT_ID: PROJECT,
    PUBSUB_EMULATOR_HOST: pubsubHost,
    EVENTKIT_PUBSUB_TOPIC: queue.topic,
    EVENTKIT_PUBSUB_SUBSCRIPTION: queue.subscription,
    EVENTKIT_METRICS_PORT: String(port),
    EVENTKIT_LOG_LEVEL: 'warn',
    EVENTKIT_EVENTLOADER_FLUSH_INTERVAL: '1',
    ...env,
  });
  const messages = Math.ceil(total / PER_ENVELOPE);
  let peak = 0;
  let first = 0;
  let last = 0;
  let written = 0;
  let received = 0;
  let acked = 0;
  let lag = 0;
  let heap = 0;
  const deadline = Date.now() + MAX_SECONDS * 1000;
  try {
    for (;;) {
      await new Promise((r) => setTimeout(r, 250));
      peak = Math.max(peak, await rssKiB(worker.pid));
      let m: Map<string, number>;
      try {
        m = await metrics(port);
      } catch {
        if (Date.now() > deadline) break;
        continue; // not listening yet
      }
      written = m.get('eventkit_worker_events_written_total') ?? 0;
      received = m.get('eventkit_worker_messages_received_total') ?? 0;
      acked = m.get('eventkit_worker_messages_acked_total') ?? 0;
      lag = Math.max(lag, m.get('nodejs_eventloop_lag_max_seconds') ?? 0);
      heap = Math.max(heap, m.get('nodejs_heap_size_used_bytes') ?? 0);
      if (first === 0 && received > 0) first = performance.now();
      if (acked >= messages) {
        last = performance.now();
        break;
      }
      if (Date.now() > deadline) break;
    }
  } finally {
    const endRss = await rssKiB(worker.pid);
    worker.kill('SIGTERM');
    await worker.exited;
    const seconds = ((last || performance.now()) - first) / 1000;
    const done = Math.min(total, Math.min(acked, messages) * PER_ENVELOPE);
    const result: WorkerRun = {
      events: total,
      events_written: written,
      events_per_s: Math.round(done / seconds),
      redelivered_messages: Math.max(0, received - messages),
      max_event_loop_lag_ms: Math.round(lag * 1000),
      seconds: Math.round(seconds * 10) / 10,
      drained: last !== 0,
      peak_heap_used_mib: Math.round(heap / 1024 / 1024),
      peak_rss_mib: Math.round(peak / 1024),
      rss_at_end_mib: Math.round(endRss / 1024),
    };
    log(`worker → ${name}:`, result);
    // biome-ignore lint/correctness/noUnsafeFinally: the result is the point of the finally
    return result;
  }
}

const pubsub = await startPubsubEmulator();
const firestore = await startFirestoreEmulator();
const gcs = await startFakeGcs();
const dataDir = await mkdtemp(path.join(tmpdir(), 'eventkit-bench-'));
const started = Date.now();
try {
  const encoding = await benchEncoding();
  const idleRssMib = await idleRss(pubsub.host, path.join(dataDir, 'idle'));
  log('idle worker RSS (MiB):', idleRssMib);
  const ackOnly = await benchAckOnly(pubsub.host, EVENTS);
  const file = await benchWorker('file', pubsub.host, EVENTS, {
    EVENTKIT_EVENT_STORE: 'file',
    EVENTKIT_DATA_DIR: path.join(dataDir, 'file'),
  });
  gcs.createBucket('bench-lake');
  const gcsRun = await benchWorker('gcs (fake GCS server)', pubsub.host, EVENTS, {
    EVENTKIT_EVENT_STORE: 'gcs',
    GCP_GCS_BUCKET: 'bench-lake',
    STORAGE_EMULATOR_HOST: gcs.url,
  });
  const firestoreRun = await benchWorker('firestore (emulator)', pubsub.host, FIRESTORE_EVENTS, {
    EVENTKIT_EVENT_STORE: 'firestore',
    FIRESTORE_EMULATOR_HOST: firestore.host,
  });
  const backlog = await benchWorker(`file, backlog of ${BACKLOG}`, pubsub.host, BACKLOG, {
    EVENTKIT_EVENT_STORE: 'file',
    EVENTKIT_DATA_DIR: path.join(dataDir, 'backlog'),
  });
  const os = await import('node:os');
  const report = {
    machine: { cpus: os.availableParallelism(), node: process.version, load_average_at_end: os.loadavg() },
    envelope_events: PER_ENVELOPE,
    parquet_encoding: encoding,
    pubsub_to_sink: { ack_only: ackOnly, file, gcs: gcsRun, firestore: firestoreRun },
    backlog: { ...backlog, idle_rss_mib: idleRssMib },
    total_seconds: Math.round((Date.now() - started) / 1000),
  };
  console.log(args.json ? JSON.stringify(report) : JSON.stringify(report, null, 2));
} finally {
  await gcs.close();
  await Promise.all([pubsub.stop(), firestore.stop()]);
  await rm(dataDir, { recursive: true, force: true });
}
