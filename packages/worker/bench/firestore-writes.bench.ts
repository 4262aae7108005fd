// Firestore writes/s on the emulator (not a test): the worker's Firestore sink
// against a bare BulkWriter, on the same documents.
//
//   node packages/worker/bench/firestore-writes.bench.ts [--events 5000] [--batch 1000]
//        [--sizes 1000,20000] [--rounds 2] [--json]
//
// Starts its own Firestore emulator. For each event size (bytes of padding in
// `properties`), writes --events events, each run into a fresh project:
//   sink            FirestoreEventSink.write, batches of --batch events, one after another
//                   (one partition); byte-bounded WriteBatch commits
//   sink x4         the same with 4 batches in flight (4 partitions)
//   bulkwriter      one BulkWriter, set() of every document, close(); default throttling
//                   (500 ops/s at first, the 500/50/5 rule)
//   bulkwriter-unthrottled  the same with { throttling: false }
// The emulator is the bottleneck here, not Firestore: compare rows of the same run only.
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { sampleEvent } from '@eventkit/shared/contracts';
import type { RoutedEvent } from '@eventkit/shared/event';
import { startFirestoreEmulator } from '@eventkit/testing';
import { Firestore } from '@google-cloud/firestore';
import { eventDocument, FirestoreEventSink, firestoreDocId } from '../src/sinks/firestore.ts';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '5000' },
    batch: { type: 'string', default: '1000' },
    sizes: { type: 'string', default: '1000,20000' },
    rounds: { type: 'string', default: '2' },
    json: { type: 'boolean', default: false },
  },
});
const EVENTS = Number(args.events);
const BATCH = Number(args.batch);
const SIZES = args.sizes.split(',').map(Number);
const ROUNDS = Number(args.rounds);
process.env.METADATA_SERVER_DETECTION = 'none';
const log = (...a: unknown[]) => {
  if (!args.json) console.error('[bench]', ...a);
};

const emulator = await startFirestoreEmulator();
const client = () =>
  new Firestore({ projectId: `bench-${randomUUID().slice(0, 8)}`, host: emulator.host, ssl: false });

function events(pad: number): RoutedEvent[] {
  return Array.from({ length: EVENTS }, (_, i) => {
    const routed = sampleEvent(i);
    routed.event = { ...routed.event, properties: { ...routed.event.properties, pad: 'x'.repeat(pad) } };
    return routed;
  });
}

async function viaSink(db: Firestore, all: RoutedEvent[], inFlight: number): Promise<void> {
  const sink = new FirestoreEventSink(db);
  const batches: RoutedEvent[][] = [];
  for (let i = 0; i < all.length; i += BATCH) batches.push(all.slice(i, i + BATCH));
  const lane = async () => {
    for (let b = batches.shift(); b; b = batches.shift())
      await sink.write({ stream: 'events', partition: 0, events: b });
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
}

async function viaBulkWriter(db: Firestore, all: RoutedEvent[], throttling: boolean): Promise<void> {
  const writer = db.bulkWriter({ throttling });
  const collection = db.collection('streams').doc('events').collection('events');
  const failures: unknown[] = [];
  writer.onWriteError((err) => {
    failures.push(err);
    return false;
  });
  for (const routed of all) {
    void writer
      .set(collection.doc(firestoreDocId(routed.source, routed.event.messageId)), eventDocument(routed))
      .catch(() => {});
  }
  await writer.close();
  if (failures.length > 0) throw new Error(`${failures.length} BulkWriter writes failed`);
}

const methods: [string, (db: Firestore, all: RoutedEvent[]) => Promise<void>][] = [
  ['sink', (db, all) => viaSink(db, all, 1)],
  ['sink x4', (db, all) => viaSink(db, all, 4)],
  ['bulkwriter', (db, all) => viaBulkWriter(db, all, true)],
  ['bulkwriter-unthrottled', (db, all) => viaBulkWriter(db, all, false)],
];

const results: { size: number; method: string; round: number; seconds: number; eventsPerSecond: number }[] =
  [];
try {
  // Warm-up: the emulator's first requests are slow (JIT).
  const warm = client();
  await viaSink(warm, events(100).slice(0, 500), 1);
  await warm.terminate();
  for (const size of SIZES) {
    const all = events(size);
    for (let round = 1; round <= ROUNDS; round++) {
      for (const [method, run] of methods) {
        const db = client();
        const started = performance.now();
        await run(db, all);
        const seconds = (performance.now() - started) / 1000;
        const stored = (await db.collection('streams/events/events').select().get()).size;
        await db.terminate();
        if (stored !== EVENTS) throw new Error(`${method}: ${stored} documents stored, expected ${EVENTS}`);
        const row = {
          size,
          method,
          round,
          seconds: +seconds.toFixed(2),
          eventsPerSecond: Math.round(EVENTS / seconds),
        };
        results.push(row);
        log(JSON.stringify(row));
      }
    }
  }
} finally {
  await emulator.stop();
}
console.log(JSON.stringify({ events: EVENTS, batch: BATCH, results }, null, 2));
