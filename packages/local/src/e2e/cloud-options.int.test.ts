// The same eventkit-dev process on real services instead of its embedded
// defaults: the seed's Option C (Pub/Sub between gateway and worker, Firestore
// as the event store), against the emulators.
import assert from 'node:assert/strict';
import { useEmulators } from '@eventkit/testing';
import { firestoreDocId } from '@eventkit/worker';
import { Firestore } from '@google-cloud/firestore';
import { afterAll, describe, test } from 'vitest';
import { type Dev, startDev, until } from './support.int.ts';

let dev: Dev | undefined;
let db: Firestore | undefined;
afterAll(async () => {
  await dev?.proc.stop('SIGKILL');
  await db?.terminate();
});

describe('eventkit-dev on Pub/Sub and Firestore (Option C)', () => {
  test('events go through Pub/Sub into Firestore keyed by a hash of source and messageId; refused ones into errors/', async () => {
    const { pubsubHost, firestoreHost } = await useEmulators();
    const project = `optc-${process.pid}`;
    const topic = `dev-${process.pid}`;
    dev = await startDev({
      GCP_PROJECT_ID: project,
      PUBSUB_EMULATOR_HOST: pubsubHost,
      FIRESTORE_EMULATOR_HOST: firestoreHost,
      EVENTKIT_QUEUE_MODE: 'pubsub',
      EVENTKIT_EVENT_STORE: 'firestore',
      EVENTKIT_PUBSUB_TOPIC: topic,
      EVENTKIT_PUBSUB_SUBSCRIPTION: `${topic}-workers`,
    });
    const res = await fetch(`${dev.url}/v1/batch`, {
      method: 'POST',
      body: JSON.stringify({
        batch: [
          { type: 'track', event: 'Signed Up', userId: 'u1', messageId: 'c1' },
          { type: 'identify', userId: 'u1', messageId: 'c2', traits: { plan: 'pro' } },
          { type: 'track', userId: 'u1', messageId: 'c3' },
        ],
      }),
    });
    assert.equal(res.status, 200);
    db = new Firestore({ projectId: project, host: firestoreHost, ssl: false });
    const ids = async (path: string) => (await db!.collection(path).get()).docs.map((d) => d.id).sort();
    await until(async () => (await ids('errors')).length === 1, 30_000, 'the refused event in errors/');
    assert.equal(await dev.proc.stop('SIGTERM'), 0, dev.proc.output());
    // Document ids are a hash of (source, messageId): spread over the key range, never time-ordered.
    assert.deepEqual(await ids('streams/events/events'), [firestoreDocId('default', 'c1')]);
    assert.deepEqual(await ids('streams/users/events'), [firestoreDocId('default', 'c2')]);
    const [letter] = (await db.collection('errors').get()).docs;
    assert.match(JSON.stringify(letter?.data()), /missing_event_name/);
  });
});
