// The `firestore` sink and dead-letter store against the Firestore emulator.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  deadLetterStoreContract,
  eventSinkContract,
  sampleDeadLetter,
  sampleEvent,
} from '@eventkit/shared/contracts';
import type { RoutedEvent } from '@eventkit/shared/event';
import { silentLogger } from '@eventkit/shared/logging';
import { createMetricsRegistry } from '@eventkit/shared/metrics';
import { useEmulators } from '@eventkit/testing';
import { Firestore } from '@google-cloud/firestore';
import { afterAll, describe, test } from 'vitest';
import { EventsRejectedError } from '../core/errors.ts';
import { createWorker } from '../core/worker.ts';
import { startGrpcRequestMeter } from '../testing/grpc-request-meter.ts';
import { envelopeOf, events as freshEvents, ManualSubscriber, TEST_SETTINGS } from '../testing/helpers.ts';
import {
  DEFAULT_MAX_COMMIT_BYTES,
  eventDocument,
  FirestoreEventSink,
  firestoreDocId,
  routedEventOf,
} from './firestore.ts';
import { FirestoreDeadLetterStore } from './firestore-dead-letters.ts';
import {
  EMULATOR_MAX_REQUEST_BYTES,
  FIRESTORE_MAX_DOCUMENT_BYTES,
  storedDocumentBytes,
  wireCommitOverheadBytes,
  wireWriteBytes,
} from './firestore-size.ts';

const { firestoreHost } = await useEmulators();
const clients: Firestore[] = [];
/** A fresh project per store: the emulator keeps projects apart, so tests never see each other's data. */
function db(host = firestoreHost): Firestore {
  const client = new Firestore({
    projectId: `eventkit-fs-${randomUUID().slice(0, 8)}`,
    host,
    ssl: false,
    ignoreUndefinedProperties: true,
  });
  clients.push(client);
  return client;
}
/** A client that talks through `host` (FIRESTORE_EMULATOR_HOST, when set, overrides `host` at construction). */
function dbVia(host: string): Firestore {
  const saved = process.env.FIRESTORE_EMULATOR_HOST;
  delete process.env.FIRESTORE_EMULATOR_HOST;
  try {
    return db(host);
  } finally {
    if (saved !== undefined) process.env.FIRESTORE_EMULATOR_HOST = saved;
  }
}
afterAll(async () => {
  await Promise.all(clients.map((c) => c.terminate()));
});

async function readBack(client: Firestore) {
  const snapshot = await client.collectionGroup('events').get();
  return snapshot.docs.map((d) => routedEventOf(d.data()));
}

eventSinkContract('firestore (emulator)', async () => {
  const client = db();
  return { sink: new FirestoreEventSink(client), readBack: () => readBack(client), async cleanup() {} };
});

deadLetterStoreContract('firestore (emulator)', async () => ({
  store: new FirestoreDeadLetterStore(db()),
  async cleanup() {},
}));

describe('firestore event sink', () => {
  test('streams/{stream}/events/{sha256 of source, messageId}, in commits of at most 500, overwriting on redelivery', async () => {
    const client = db();
    const sink = new FirestoreEventSink(client);
    const events = Array.from({ length: 501 }, (_, i) => sampleEvent(i));
    await sink.write({ stream: 'events', partition: 0, events });
    await sink.write({ stream: 'events', partition: 0, events: events.slice(0, 10) });
    const snapshot = await client.collection('streams').doc('events').collection('events').get();
    assert.equal(snapshot.size, 501);
    const doc = await client.doc(`streams/events/events/${firestoreDocId('web', 'msg-5')}`).get();
    assert.match(doc.id, /^[0-9a-f]{64}$/);
    assert.equal(doc.get('source'), 'web');
    assert.equal(doc.get('message_id'), 'msg-5');
    assert.equal(doc.get('event.properties.revenue'), 5);
    assert.equal(doc.get('received_at').toDate().toISOString(), '2026-11-27T10:00:00.600Z');
  });

  test('an event Firestore cannot hold as a map is kept as JSON text, not refused', async () => {
    const client = db();
    const odd = sampleEvent(1);
    odd.event = { ...odd.event, properties: { matrix: [[1, 2], [3]], __meta__: true } };
    await new FirestoreEventSink(client).write({ stream: 'events', partition: 0, events: [odd] });
    const [back] = await readBack(client);
    assert.deepEqual(back?.event.properties, odd.event.properties);
  });

  test('an event Firestore refuses anyway is named (EventsRejectedError) and the others are written', async () => {
    const client = db();
    const refused = sampleEvent(2);
    refused.event = { ...refused.event, properties: { ['k'.repeat(2000)]: 1 } };
    const err = await new FirestoreEventSink(client)
      .write({ stream: 'events', partition: 0, events: [sampleEvent(1), refused, sampleEvent(3)] })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(err instanceof EventsRejectedError, String(err));
    assert.deepEqual(
      err.rejected.map((r) => r.index),
      [1],
    );
    const stored = (await readBack(client)).map((e) => e.event.messageId).sort();
    assert.deepEqual(stored, ['msg-1', 'msg-3']);
  });

  test('the replay ledger remembers replayed letters', async () => {
    const store = new FirestoreDeadLetterStore(db());
    await store.recordReplayed(['a', 'b']);
    assert.deepEqual([...(await store.replayed())].sort(), ['a', 'b']);
  });
});

/** An event whose properties carry `pad` bytes of text. */
function padded(i: number, pad: number): RoutedEvent {
  const routed = sampleEvent(i);
  routed.event = { ...routed.event, properties: { ...routed.event.properties, pad: 'x'.repeat(pad) } };
  return routed;
}
const pathOf = (r: RoutedEvent) =>
  `streams/${r.stream}/events/${firestoreDocId(r.source, r.event.messageId)}`;
const commitBytes = (events: RoutedEvent[]) =>
  events.reduce(
    (sum, r) => sum + wireWriteBytes('(default)', pathOf(r), eventDocument(r)),
    wireCommitOverheadBytes('(default)'),
  );

// Bug 6 (issue 9). Limits: "Maximum API request size: 10 MiB" and "Maximum size for a document:
// 1 MiB (1,048,576 bytes)", https://cloud.google.com/firestore/quotas; document size per
// https://cloud.google.com/firestore/docs/storage-size. The emulator does not apply the 10 MiB:
// it refuses requests over 4 MiB (gRPC's default message size) with RESOURCE_EXHAUSTED, which the
// client retries for 10 minutes. The request sizes are measured on the wire by a proxy
// (testing/grpc-request-meter.ts); the document limit is the emulator's own, to the byte.
describe('firestore event sink: request and document limits', () => {
  test('1,000 events of 20 KB are written in commits within the bound, and again on redelivery', {
    timeout: 90_000,
  }, async () => {
    const meter = await startGrpcRequestMeter(firestoreHost);
    try {
      const client = dbVia(meter.host);
      const sink = new FirestoreEventSink(client);
      const events = Array.from({ length: 1000 }, (_, i) => padded(i, 20_000));
      await sink.write({ stream: 'events', partition: 0, events });
      const commits = [...meter.requests];
      assert.ok(commits.length >= 5, `${commits.length} requests`);
      assert.ok(
        commits.every((bytes) => bytes <= DEFAULT_MAX_COMMIT_BYTES),
        `largest request ${Math.max(...commits)} bytes`,
      );
      await sink.write({ stream: 'events', partition: 0, events });
      const snapshot = await client.collection('streams/events/events').select().get();
      assert.equal(snapshot.size, 1000);
    } finally {
      await meter.close();
    }
  });

  test('a batch exactly at the bound is one commit (the emulator takes it), one byte over is two', {
    timeout: 60_000,
  }, async () => {
    // Five events of ~820 KB, the last padded until the commit's computed size is exactly 4 MiB,
    // the emulator's own limit: accepted in one request, so the computed size is not too small.
    const target = EMULATOR_MAX_REQUEST_BYTES;
    let events: RoutedEvent[] = [];
    for (let k = 0; commitBytes(events) !== target; k++) {
      assert.ok(k < 20, 'no padding reaches the target');
      const head = Array.from({ length: 4 }, (_, i) => padded(i, 820_000 + k));
      let lo = 0;
      let hi = 1_000_000;
      while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2);
        if (commitBytes([...head, padded(4, mid)]) <= target) lo = mid;
        else hi = mid - 1;
      }
      events = [...head, padded(4, lo)];
    }
    const meter = await startGrpcRequestMeter(firestoreHost);
    try {
      const client = dbVia(meter.host);
      await new FirestoreEventSink(client, { maxCommitBytes: target }).write({
        stream: 'events',
        partition: 0,
        events,
      });
      assert.equal(meter.requests.length, 1);
      const measured = meter.requests[0]!;
      assert.ok(measured <= target && measured > target * 0.999, `${measured} bytes on the wire`);
      meter.requests.length = 0;
      await new FirestoreEventSink(client, { maxCommitBytes: target - 1 }).write({
        stream: 'events',
        partition: 0,
        events,
      });
      assert.equal(meter.requests.length, 2);
      assert.equal((await client.collection('streams/events/events').select().get()).size, 5);
    } finally {
      await meter.close();
    }
  });

  test('a document of exactly 1 MiB is written; one byte more is dead-lettered with the reason, not retried', async () => {
    const sized = (i: number, bytes: number) => {
      const base = padded(i, 0);
      return padded(i, bytes - storedDocumentBytes(pathOf(base), eventDocument(base)));
    };
    const client = db();
    const sink = new FirestoreEventSink(client);
    const atLimit = sized(1, FIRESTORE_MAX_DOCUMENT_BYTES);
    assert.equal(storedDocumentBytes(pathOf(atLimit), eventDocument(atLimit)), FIRESTORE_MAX_DOCUMENT_BYTES);
    await sink.write({ stream: 'events', partition: 0, events: [atLimit] });

    const over = sized(2, FIRESTORE_MAX_DOCUMENT_BYTES + 1);
    const err = await sink
      .write({ stream: 'events', partition: 0, events: [sampleEvent(3), over, sampleEvent(4)] })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(err instanceof EventsRejectedError, String(err));
    assert.deepEqual(
      err.rejected.map((r) => [r.index, r.reason.code]),
      [[1, 'firestore_document_too_large']],
    );
    assert.match(err.rejected[0]!.reason.message, /1048577 bytes.*1048576/);
    await sink.write({ stream: 'events', partition: 0, events: [sampleEvent(3), sampleEvent(4)] });
    const stored = (await readBack(client)).map((e) => e.event.messageId).sort();
    assert.deepEqual(stored, ['msg-1', 'msg-3', 'msg-4']);
  });

  test('a commit refused as a whole (INVALID_ARGUMENT) whose documents are all fine: written one by one, and done', async () => {
    const client = db();
    const realBatch = client.batch.bind(client);
    let refusals = 1;
    client.batch = () => {
      const batch = realBatch();
      if (refusals-- > 0) {
        batch.commit = async () => {
          throw Object.assign(
            new Error('3 INVALID_ARGUMENT: Request payload size exceeds the limit: 10485760 bytes.'),
            { code: 3 },
          );
        };
      }
      return batch;
    };
    const events = Array.from({ length: 30 }, (_, i) => sampleEvent(i));
    const receipt = await new FirestoreEventSink(client).write({ stream: 'events', partition: 0, events });
    assert.equal(receipt.count, 30);
    assert.equal((await readBack(client)).length, 30);
  });

  test('a dead letter over 1 MiB (the event rejected above, a large raw message) is stored and read back whole', async () => {
    const store = new FirestoreDeadLetterStore(db());
    const big = padded(7, 1_200_000).event;
    const emoji = sampleDeadLetter(1, { payload: { ...big, properties: { text: '😀'.repeat(300_000) } } });
    const rejected = sampleDeadLetter(2, {
      errorType: 'processing',
      reasons: [{ code: 'firestore_document_too_large', message: 'too large' }],
      payload: big,
    });
    const raw = sampleDeadLetter(3, {
      errorType: 'processing',
      raw: Buffer.alloc(2_500_000, 7).toString('base64'),
      payload: undefined,
    });
    delete raw.payload;
    const small = sampleDeadLetter(4);
    await store.write([emoji, rejected, raw, small]);
    await store.write([rejected]); // written again: same parts, same letter
    const back = [];
    for await (const letter of store.scan()) back.push(letter);
    assert.deepEqual(
      back.map((l) => l.id),
      [emoji.id, rejected.id, raw.id, small.id],
    );
    assert.deepEqual(back[0]!.payload, emoji.payload);
    assert.deepEqual(back[1]!.payload, big);
    assert.equal(back[2]!.raw, raw.raw);
    assert.deepEqual(back[3], small);
    const processing = [];
    for await (const letter of store.scan({ errorType: 'processing' })) processing.push(letter.id);
    assert.deepEqual(processing, [rejected.id, raw.id]);
  });

  test('through the worker: an event too large for Firestore is dead-lettered with its reason, its message acked', {
    timeout: 60_000,
  }, async () => {
    const client = db();
    const subscriber = new ManualSubscriber();
    const deadLetters = new FirestoreDeadLetterStore(client);
    const worker = createWorker({
      subscriber,
      sink: new FirestoreEventSink(client),
      deadLetters,
      logger: silentLogger(),
      metrics: createMetricsRegistry({}, { processMetrics: false }),
      settings: {
        ...TEST_SETTINGS,
        partitions: 1,
        maxEventBytes: 2 * 1024 * 1024,
        batchBytes: 64 * 1024 * 1024,
      },
    });
    await worker.start();
    const list = freshEvents(3);
    list[1]!.event = { ...list[1]!.event, properties: { pad: 'x'.repeat(1_200_000) } };
    const envelope = await envelopeOf(list);
    assert.equal(await subscriber.deliver(envelope.data, envelope.attributes), 'ack');
    await worker.stop();
    const stored = (await readBack(client)).map((e) => e.event.messageId).sort();
    assert.deepEqual(stored, ['msg-0', 'msg-2']);
    const letters = [];
    for await (const letter of deadLetters.scan()) letters.push(letter);
    assert.deepEqual(
      letters.map((l) => [l.messageId, l.errorType, l.reasons[0]?.code]),
      [['msg-1', 'processing', 'firestore_document_too_large']],
    );
    assert.equal((letters[0]!.payload as { properties: { pad: string } }).properties.pad.length, 1_200_000);
  });
});
