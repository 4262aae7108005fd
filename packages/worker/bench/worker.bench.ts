// Worker throughput and memory, measured on this machine (not a test).
//
//   node packages/worker/bench/worker.bench.ts [--runs 3] [--events 100000]
//        [--firestore-events 5000] [--backlog 200000] [--max-seconds 60]
//        [--only encode,ack,file,gcs,firestore,idle,backlog] [--json]
//   EVENTKIT_BENCH_OUT=<file>  also writes the figures there as JSON:
//     { "bench": "worker", "figures": [ { "id", "label", "unit", "median", "min", "max",
//       "runs" (how many), "values", "ceiling"?: { "label", "median" }, "ratio"? } ] }
//
// Starts its own Pub/Sub and Firestore emulators and a fake GCS server. Every
// figure is the median of --runs runs (min and max beside it); a ratio
// compares two medians of the same run of this script (this machine is
// shared: figures of different runs do not compare). Each worker run is
// bounded by --max-seconds.
//  encode    Parquet encoding alone, the ceiling of the file and gcs sinks:
//            the same events, files of the default batch size (EVENTKIT_EVENTLOADER_BATCH_SIZE
//            for gcs and file), 16 requested at a time (one
//            flush of every partition), through the same thread pool as the
//            worker; events/s of wall time, and per CPU-second of the process.
//  ack       events/s from the Pub/Sub emulator through a subscriber that only acks.
//  file/gcs  events/s through the real worker (`eventkit-worker run`, a child
//            process) into the file sink / a fake GCS server, from the first
//            message received to the last ack; with peak RSS and event-loop lag.
//  firestore the worker into the Firestore emulator, against a bare BulkWriter
//            (throttling off: its fastest) writing the same documents to the
//            same emulator; the throttled BulkWriter is reported beside it.
//  idle      RSS of a worker with nothing to do (listening, subscribed, sink checked).
//  backlog   the worker draining --backlog events (file sink): events/s and peak RSS.
//  scale     two worker processes on the same subscription draining the same backlog: events/s,
//            against one worker's (backlog) — how far adding replicas goes on this machine.
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
import { loadWorkerConfig } from '@eventkit/shared/config';
import { sampleEvent } from '@eventkit/shared/contracts';
import { encodeEnvelope } from '@eventkit/shared/envelope';
import type { RoutedEvent } from '@eventkit/shared/event';
import {
  createPubSubClient,
  ensureSubscription,
  PubSubPublisher,
  PubSubSubscriber,
} from '@eventkit/shared/pubsub';
import {
  figure as benchFigure,
  type Figure,
  startFakeGcs,
  startFirestoreEmulator,
  startPubsubEmulator,
  writeBenchReport,
} from '@eventkit/testing';
import { Firestore } from '@google-cloud/firestore';
import { eventDocument, firestoreDocId } from '../src/sinks/firestore.ts';
import { ParquetEncoder } from '../src/sinks/parquet.ts';
import { freePort, startWorkerProcess, type WorkerProcess } from '../src/testing/child.ts';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    events: { type: 'string', default: '100000' },
    'firestore-events': { type: 'string', default: '5000' },
    backlog: { type: 'string', default: '200000' },
    'max-seconds': { type: 'string', default: '60' },
    only: { type: 'string', default: 'encode,ack,file,gcs,firestore,idle,backlog,scale' },
    json: { type: 'boolean', default: false },
  },
});
const RUNS = Number(args.runs);
const EVENTS = Number(args.events);
const FIRESTORE_EVENTS = Number(args['firestore-events']);
const BACKLOG = Number(args.backlog);
const MAX_SECONDS = Number(args['max-seconds']);
const ONLY = new Set(args.only.split(','));
const PER_ENVELOPE = 100;
/** The worker's default file size for gcs and file: the encode ceiling is measured at it. */
const FILE_EVENTS = loadWorkerConfig({ GCP_PROJECT_ID: 'bench' }).config.eventloaderBatchSize;
const PROJECT = 'eventkit-bench';

process.env.METADATA_SERVER_DETECTION = 'none';
const log = (...a: unknown[]) => {
  if (!args.json) console.error('[bench]', ...a);
};

const figures: Figure[] = [];

/** Records a figure from its runs (the shared bench figure); with a ceiling figure, the ratio of the medians. */
function figure(id: string, label: string, unit: string, values: number[], ceiling?: Figure): Figure {
  const f = benchFigure(
    id,
    label,
    unit,
    values,
    ceiling ? { ceiling: { label: ceiling.label, values: [ceiling.median] } } : {},
  );
  figures.push(f);
  log(
    `${label}: median ${f.median} ${unit} (min ${f.min}, max ${f.max})${f.ratio ? `, ${f.ratio}× ${ceiling?.label}` : ''}`,
  );
  return f;
}

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

// ── Parquet encoding alone ───────────────────────────────────────────────────
/** One run: EVENTS events in files of the default batch size, 16 requested at a time, as a worker flushes. */
async function encodeRun(
  encoder: ParquetEncoder,
): Promise<{ wall: number; cpu: number; bytesPerEvent: number }> {
  const batch = FILE_EVENTS;
  const together = 16;
  const batches = Array.from({ length: Math.ceil(EVENTS / batch) }, (_, b) => eventsFrom(b * batch, batch));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let bytes = 0;
  for (let i = 0; i < batches.length; i += together) {
    const files = await Promise.all(batches.slice(i, i + together).map((b) => encoder.encode(b)));
    for (const f of files) bytes += f.length;
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const total = batches.length * batch;
  return {
    wall: Math.round(total / wall),
    cpu: Math.round(total / ((cpu.user + cpu.system) / 1e6)),
    bytesPerEvent: Math.round((bytes / total) * 10) / 10,
  };
}

async function benchEncoding(): Promise<Figure> {
  const encoder = await ParquetEncoder.create();
  try {
    await encoder.encode(eventsFrom(0, 1000)); // warm up
    const runs = [];
    for (let r = 0; r < RUNS; r++) runs.push(await encodeRun(encoder));
    log(`encoding: ${runs[0]?.bytesPerEvent} bytes per event`);
    figure(
      'encode_cpu',
      'Parquet encoding, events per CPU-second',
      'events/CPU-s',
      runs.map((r) => r.cpu),
    );
    return figure(
      'encode',
      'Parquet encoding alone (ceiling of file/gcs)',
      'events/s',
      runs.map((r) => r.wall),
    );
  } finally {
    await encoder.close();
  }
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

/** CPU seconds (user + system, every thread) the process has used so far. */
async function cpuSeconds(pid: number): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
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
  /**
   * Events per CPU-second of the worker process (all its threads), from the
   * first message to the last ack: unlike events/s, hardly affected by what
   * else runs on the machine.
   */
  events_per_cpu_s: number;
  /** Messages delivered again (lease expired under load, or nacked): their events are written twice. */
  redelivered_messages: number;
  max_event_loop_lag_ms: number;
  seconds: number;
  drained: boolean;
  peak_rss_mib: number;
  /** Largest V8 heap in use seen by /metrics (sampled every 250 ms). */
  peak_heap_used_mib: number;
  /** Largest V8 heap reserved, and largest memory outside it (Buffers, zstd contexts): where RSS goes. */
  peak_heap_total_mib: number;
  peak_external_mib: number;
  /** Partition flushes (one file per stream each): fewer, larger files cost less per event. */
  flushes: number;
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
  let heapTotal = 0;
  let flushes = 0;
  let cpuAtFirst = 0;
  let cpuAtEnd = 0;
  let ackedAtFirst = 0;
  let external = 0;
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
      heapTotal = Math.max(heapTotal, m.get('nodejs_heap_size_total_bytes') ?? 0);
      flushes = m.get('eventkit_worker_flushes_total') ?? 0;
      external = Math.max(external, m.get('nodejs_external_memory_bytes') ?? 0);
      if (first === 0 && received > 0) {
        first = performance.now();
        cpuAtFirst = await cpuSeconds(worker.pid);
        ackedAtFirst = acked;
      }
      if (acked >= messages) {
        last = performance.now();
        cpuAtEnd = await cpuSeconds(worker.pid);
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
      events_per_cpu_s:
        cpuAtEnd > cpuAtFirst
          ? Math.round((done - ackedAtFirst * PER_ENVELOPE) / (cpuAtEnd - cpuAtFirst))
          : 0,
      redelivered_messages: Math.max(0, received - messages),
      max_event_loop_lag_ms: Math.round(lag * 1000),
      seconds: Math.round(seconds * 10) / 10,
      drained: last !== 0,
      peak_heap_used_mib: Math.round(heap / 1024 / 1024),
      peak_heap_total_mib: Math.round(heapTotal / 1024 / 1024),
      peak_external_mib: Math.round(external / 1024 / 1024),
      flushes,
      peak_rss_mib: Math.round(peak / 1024),
      rss_at_end_mib: Math.round(endRss / 1024),
    };
    log(`worker → ${name}:`, result);
    // biome-ignore lint/correctness/noUnsafeFinally: the result is the point of the finally
    return result;
  }
}

// ── Scale-out: several workers on one subscription ──────────────────────────
/** CPU-seconds the whole machine spent busy (all cores, /proc/stat), and those of the given processes. */
async function machineCpu(pids: number[]): Promise<{ busy: number; workers: number }> {
  const line = (await readFile('/proc/stat', 'utf8'))
    .split('\n')[0]!
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const idle = (line[3] ?? 0) + (line[4] ?? 0);
  const busy = (line.reduce((a, b) => a + b, 0) - idle) / 100;
  let workers = 0;
  for (const pid of pids) workers += await cpuSeconds(pid);
  return { busy, workers };
}

async function benchReplicas(pubsubHost: string, total: number, count: number): Promise<number> {
  const queue = await publishBacklog(pubsubHost, total);
  const ports = await Promise.all(Array.from({ length: count }, () => freePort()));
  const workers = ports.map((port, i) =>
    startWorkerProcess({
      GCP_PROJECT_ID: PROJECT,
      PUBSUB_EMULATOR_HOST: pubsubHost,
      EVENTKIT_PUBSUB_TOPIC: queue.topic,
      EVENTKIT_PUBSUB_SUBSCRIPTION: queue.subscription,
      EVENTKIT_METRICS_PORT: String(port),
      EVENTKIT_LOG_LEVEL: 'warn',
      EVENTKIT_EVENTLOADER_FLUSH_INTERVAL: '1',
      EVENTKIT_EVENT_STORE: 'file',
      EVENTKIT_DATA_DIR: path.join(dataDir, `replicas-${randomUUID()}`),
      EVENTKIT_WORKER_ID: `replica-${i}`,
    }),
  );
  const messages = Math.ceil(total / PER_ENVELOPE);
  const deadline = Date.now() + MAX_SECONDS * 1000;
  let first = 0;
  let last = 0;
  const cpu = { start: { busy: 0, workers: 0 }, end: { busy: 0, workers: 0 } };
  try {
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      let received = 0;
      let acked = 0;
      for (const port of ports) {
        try {
          const m = await metrics(port);
          received += m.get('eventkit_worker_messages_received_total') ?? 0;
          acked += m.get('eventkit_worker_messages_acked_total') ?? 0;
        } catch {} // not listening yet
      }
      if (first === 0 && received > 0) {
        first = performance.now();
        cpu.start = await machineCpu(workers.map((w) => w.pid));
      }
      if (acked >= messages) {
        last = performance.now();
        cpu.end = await machineCpu(workers.map((w) => w.pid));
        break;
      }
    }
  } finally {
    for (const w of workers) w.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
  }
  if (last === 0) throw new Error(`${count} workers did not drain ${total} events in ${MAX_SECONDS} s`);
  const seconds = (last - first) / 1000;
  const eventsPerSecond = Math.round(total / seconds);
  const cores = (x: number) => Math.round((x / seconds) * 100) / 100;
  const busy = cores(cpu.end.busy - cpu.start.busy);
  const inWorkers = cores(cpu.end.workers - cpu.start.workers);
  // Where the machine's CPU went while they drained: the workers, and everything else (the emulator).
  log(
    `${count} workers → files, backlog of ${total}: ${eventsPerSecond} events/s; cores busy ${busy}, of which workers ${inWorkers}, the rest (emulator, bench) ${Math.round((busy - inWorkers) * 100) / 100}`,
  );
  return eventsPerSecond;
}

// ── Firestore: a bare BulkWriter on the same documents ──────────────────────
async function bulkWriterRun(host: string, throttling: boolean): Promise<number> {
  const db = new Firestore({ projectId: `bench-${randomUUID().slice(0, 8)}`, host, ssl: false });
  try {
    const all = eventsFrom(0, FIRESTORE_EVENTS);
    const collection = db.collection('streams').doc('events').collection('events');
    const writer = db.bulkWriter({ throttling });
    let failures = 0;
    writer.onWriteError(() => {
      failures++;
      return false;
    });
    const t0 = performance.now();
    for (const routed of all) {
      void writer
        .set(collection.doc(firestoreDocId(routed.source, routed.event.messageId)), eventDocument(routed))
        .catch(() => {});
    }
    await writer.close();
    if (failures > 0) throw new Error(`${failures} BulkWriter writes failed`);
    return Math.round(all.length / ((performance.now() - t0) / 1000));
  } finally {
    await db.terminate();
  }
}

async function repeat<T>(run: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let r = 0; r < RUNS; r++) out.push(await run());
  return out;
}

const pubsub = await startPubsubEmulator();
const firestore = await startFirestoreEmulator();
const gcs = await startFakeGcs();
const dataDir = await mkdtemp(path.join(tmpdir(), 'eventkit-bench-'));
const started = Date.now();
const details: Record<string, unknown> = {};
try {
  const encode = ONLY.has('encode') ? await benchEncoding() : undefined;
  if (ONLY.has('idle')) {
    const idle = await repeat(() => idleRss(pubsub.host, path.join(dataDir, `idle-${randomUUID()}`)));
    figure('rss_idle', 'Worker RSS, idle', 'MiB', idle);
  }
  if (ONLY.has('ack')) {
    const ack = await repeat(() => benchAckOnly(pubsub.host, EVENTS));
    figure(
      'ack_only',
      'Pub/Sub → ack-only subscriber',
      'events/s',
      ack.map((r) => r.events_per_s),
    );
  }
  const workerFigures = async (id: string, label: string, runs: WorkerRun[], ceiling?: Figure) => {
    details[id] = runs;
    figure(
      id,
      label,
      'events/s',
      runs.map((r) => r.events_per_s),
      ceiling,
    );
    if (ceiling?.id === 'encode') {
      const cpuCeiling = figures.find((f) => f.id === 'encode_cpu');
      figure(
        `${id}_per_cpu_s`,
        `${label}, per CPU-second`,
        'events/CPU-s',
        runs.map((r) => r.events_per_cpu_s),
        cpuCeiling,
      );
    }
    figure(
      `${id}_rss_peak`,
      `${label}: peak RSS`,
      'MiB',
      runs.map((r) => r.peak_rss_mib),
    );
    figure(
      `${id}_lag_max`,
      `${label}: largest event-loop lag`,
      'ms',
      runs.map((r) => r.max_event_loop_lag_ms),
    );
  };
  if (ONLY.has('file')) {
    const runs = await repeat(() =>
      benchWorker('file', pubsub.host, EVENTS, {
        EVENTKIT_EVENT_STORE: 'file',
        EVENTKIT_DATA_DIR: path.join(dataDir, `file-${randomUUID()}`),
      }),
    );
    await workerFigures('worker_file', 'Worker → files', runs, encode);
  }
  if (ONLY.has('gcs')) {
    gcs.createBucket('bench-lake');
    const runs = await repeat(() =>
      benchWorker('gcs (fake GCS server)', pubsub.host, EVENTS, {
        EVENTKIT_EVENT_STORE: 'gcs',
        GCP_GCS_BUCKET: 'bench-lake',
        STORAGE_EMULATOR_HOST: gcs.url,
      }),
    );
    await workerFigures('worker_gcs', 'Worker → GCS (fake server)', runs, encode);
  }
  if (ONLY.has('firestore')) {
    const bare = figure(
      'bulkwriter',
      'Bare BulkWriter, same documents (throttling off)',
      'events/s',
      await repeat(() => bulkWriterRun(firestore.host, false)),
    );
    figure(
      'bulkwriter_throttled',
      'Bare BulkWriter, same documents (default throttling)',
      'events/s',
      await repeat(() => bulkWriterRun(firestore.host, true)),
    );
    const runs = await repeat(() =>
      benchWorker('firestore (emulator)', pubsub.host, FIRESTORE_EVENTS, {
        EVENTKIT_EVENT_STORE: 'firestore',
        FIRESTORE_EMULATOR_HOST: firestore.host,
      }),
    );
    await workerFigures('worker_firestore', 'Worker → Firestore (emulator)', runs, bare);
  }
  if (ONLY.has('backlog')) {
    const runs = await repeat(() =>
      benchWorker(`file, backlog of ${BACKLOG}`, pubsub.host, BACKLOG, {
        EVENTKIT_EVENT_STORE: 'file',
        EVENTKIT_DATA_DIR: path.join(dataDir, `backlog-${randomUUID()}`),
      }),
    );
    await workerFigures('worker_backlog', `Worker → files, draining a backlog of ${BACKLOG}`, runs, encode);
  }
  if (ONLY.has('scale')) {
    const one = figure(
      'worker_replicas_1',
      `1 worker → files, a backlog of ${BACKLOG}`,
      'events/s',
      await repeat(() => benchReplicas(pubsub.host, BACKLOG, 1)),
    );
    figure(
      'worker_replicas_2',
      `2 workers (one subscription) → files, a backlog of ${BACKLOG}`,
      'events/s',
      await repeat(() => benchReplicas(pubsub.host, BACKLOG, 2)),
      one,
    );
  }
  const os = await import('node:os');
  const report = {
    bench: 'worker',
    machine: { cpus: os.availableParallelism(), node: process.version, load_average_at_end: os.loadavg() },
    options: { runs: RUNS, events: EVENTS, firestore_events: FIRESTORE_EVENTS, backlog: BACKLOG },
    figures,
    details,
    total_seconds: Math.round((Date.now() - started) / 1000),
  };
  const { figures: _f, ...context } = report;
  writeBenchReport({ bench: 'worker', figures, context });
  console.log(args.json ? JSON.stringify(report) : JSON.stringify(report, null, 2));
} finally {
  await gcs.close();
  await Promise.all([pubsub.stop(), firestore.stop()]);
  await rm(dataDir, { recursive: true, force: true });
}
