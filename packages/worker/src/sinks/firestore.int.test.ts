// The `firestore` sink and dead-letter store against the Firestore emulator.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { deadLetterStoreContract, eventSinkContract, sampleEvent } from '@eventkit/shared/contracts';
import { useEmulators } from '@eventkit/testing';
import { Firestore } from '@google-cloud/firestore';
import { EventsRejectedError } from '../core/errors.ts';
import { FirestoreDeadLetterStore, FirestoreEventSink, firestoreDocId, routedEventOf } from './firestore.ts';

const { firestoreHost } = await useEmulators();
const clients: Firestore[] = [];
/** A fresh project per store: the emulator keeps projects apart, so tests never see each other's data. */
function db(): Firestore {
  const client = new Firestore({
    projectId: `eventkit-fs-${randomUUID().slice(0, 8)}`,
    host: firestoreHost,
    ssl: false,
    ignoreUndefinedProperties: true,
  });
  clients.push(client);
  return client;
}
after(async () => {
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
  test('streams/{stream}/events/{source}:{messageId}, in commits of at most 500, overwriting on redelivery', async () => {
    const client = db();
    const sink = new FirestoreEventSink(client);
    const events = Array.from({ length: 501 }, (_, i) => sampleEvent(i));
    await sink.write({ stream: 'events', partition: 0, events });
    await sink.write({ stream: 'events', partition: 0, events: events.slice(0, 10) });
    const snapshot = await client.collection('streams').doc('events').collection('events').get();
    assert.equal(snapshot.size, 501);
    const doc = await client.doc(`streams/events/events/${firestoreDocId('web', 'msg-5')}`).get();
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
