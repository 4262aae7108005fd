// At-least-once across a crash: a worker is SIGKILLed in the middle of
// writing, a second worker takes over the subscription, and in the end every
// event is stored (Firestore: exactly once; GCS: at least once, identical rows).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { eventually } from '@eventkit/shared/contracts';
import { type RoutedEvent, toWarehouseRow } from '@eventkit/shared/event';
import { GcsObjectStore } from '@eventkit/shared/gcs';
import { createPubSubClient, ensureSubscription, PubSubPublisher } from '@eventkit/shared/pubsub';
import { type FakeGcsServer, startFakeGcs, useEmulators } from '@eventkit/testing';
import { Firestore } from '@google-cloud/firestore';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { adaptEvent } from '../core/adapt.ts';
import { firestoreDocId } from '../sinks/firestore.ts';
import { ParquetEncoder } from '../sinks/parquet.ts';
import { readBackEvents } from '../sinks/test-support.ts';
import { freePort, startWorkerProcess, type WorkerProcess } from '../testing/child.ts';
import { envelopeOf, events } from '../testing/helpers.ts';

const { pubsubHost, firestoreHost } = await useEmulators();
const running: WorkerProcess[] = [];
afterAll(async () => {
  for (const w of running) w.kill('SIGKILL');
});

async function queueWith(list: RoutedEvent[], projectId: string) {
  const pubsub = createPubSubClient({ projectId, emulatorHost: pubsubHost });
  const topic = `crash-${randomUUID()}`;
  const subscription = `${topic}-sub`;
  await ensureSubscription(pubsub, { topic, subscription, create: true, ackDeadlineSeconds: 10 });
  const publisher = new PubSubPublisher({ pubsub, topic });
  const publishes = [];
  for (let i = 0; i < list.length; i += 100) {
    const env = await envelopeOf(list.slice(i, i + 100));
    publishes.push(publisher.publish(env.data, env.attributes));
  }
  await Promise.all(publishes);
  await publisher.close();
  await pubsub.close();
  return { topic, subscription };
}

async function workerEnv(
  projectId: string,
  queue: { topic: string; subscription: string },
  extra: Record<string, string>,
) {
  return {
    GCP_PROJECT_ID: projectId,
    PUBSUB_EMULATOR_HOST: pubsubHost,
    EVENTKIT_PUBSUB_TOPIC: queue.topic,
    EVENTKIT_PUBSUB_SUBSCRIPTION: queue.subscription,
    EVENTKIT_METRICS_PORT: String(await freePort()),
    EVENTKIT_PARTITIONS: '4',
    EVENTKIT_PUBSUB_MAX_MESSAGES: '5',
    EVENTKIT_PUBSUB_WORKERS: '1',
    EVENTKIT_EVENTLOADER_FLUSH_INTERVAL: '1',
    EVENTKIT_SHUTDOWN_TIMEOUT: '10',
    ...extra,
  };
}

describe('at-least-once with SIGKILL mid-flush', () => {
  test('firestore: nothing lost, no duplicates', async () => {
    const projectId = `crash-fs-${randomUUID().slice(0, 8)}`;
    const sent = events(2000);
    const queue = await queueWith(sent, projectId);
    const db = new Firestore({ projectId, host: firestoreHost, ssl: false });
    const collection = db.collection('streams').doc('events').collection('events');
    const count = async () => (await collection.count().get()).data().count;
    const env = await workerEnv(projectId, queue, {
      EVENTKIT_EVENT_STORE: 'firestore',
      FIRESTORE_EMULATOR_HOST: firestoreHost,
    });

    const first = startWorkerProcess(env);
    running.push(first);
    await eventually(() => first.logs.some((l) => l.message === 'events_flushed'), 30_000, 'a first flush');
    first.kill('SIGKILL');
    const killed = await first.exited;
    assert.equal(killed.signal, 'SIGKILL');
    const atKill = await count();
    assert.ok(atKill > 0 && atKill < sent.length, `killed mid-way: ${atKill} of ${sent.length} stored`);

    const second = startWorkerProcess(env);
    running.push(second);
    let stored = 0;
    // Redelivery waits for the leases the killed worker held (up to the subscriber's 20 s lease bound).
    const deadline = Date.now() + 90_000;
    while (stored < sent.length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      stored = await count();
    }
    second.kill('SIGTERM');
    assert.equal((await second.exited).code, 0);
    assert.equal(stored, sent.length, 'every event stored exactly once');
    const ids = new Set((await collection.select().get()).docs.map((d) => d.id));
    for (const e of sent) assert.ok(ids.has(firestoreDocId(e.source, e.event.messageId)), e.event.messageId);
    await db.terminate();
  });

  describe('gcs', () => {
    let gcs: FakeGcsServer;
    let encoder: ParquetEncoder;
    beforeAll(async () => {
      gcs = await startFakeGcs();
      encoder = await ParquetEncoder.create();
    });
    afterAll(async () => {
      await encoder.close();
      await gcs.close();
    });

    test('nothing lost, and the Parquet files read back with DuckDB equal what was sent', async () => {
      const projectId = `crash-gcs-${randomUUID().slice(0, 8)}`;
      const bucket = `lake-${randomUUID().slice(0, 8)}`;
      gcs.createBucket(bucket);
      gcs.faults.latencyMs = 50; // slow uploads: the kill lands while files are being written
      const sent = events(2000);
      const queue = await queueWith(sent, projectId);
      const env = await workerEnv(projectId, queue, {
        EVENTKIT_EVENT_STORE: 'gcs',
        GCP_GCS_BUCKET: bucket,
        STORAGE_EMULATOR_HOST: gcs.url,
        EVENTKIT_STORAGE_PREFIX: 'eventkit',
        EVENTKIT_EVENTLOADER_BATCH_SIZE: '200',
      });
      const store = new GcsObjectStore({ storage: new Storage(gcs.clientOptions()), bucket });

      const first = startWorkerProcess({ ...env, EVENTKIT_WORKER_ID: 'first' });
      running.push(first);
      await eventually(() => gcs.objects(bucket).length > 0, 30_000, 'a first file');
      first.kill('SIGKILL');
      await first.exited;
      const filesAtKill = gcs.objects(bucket).length;
      // The state the second worker must recover from: events not yet stored at the kill.
      const storedAtKill = new Set(
        (await readBackEvents(store, 'eventkit', encoder)).map((e) => `${e.source}:${e.event.messageId}`),
      );
      assert.ok(
        storedAtKill.size > 0 && storedAtKill.size < sent.length,
        `killed mid-way: ${storedAtKill.size} of ${sent.length} stored`,
      );

      const second = startWorkerProcess({ ...env, EVENTKIT_WORKER_ID: 'second' });
      running.push(second);
      const expected = new Map(
        sent.map((e) => {
          const adapted = adaptEvent(e, 32 * 1024);
          assert.ok(adapted.ok);
          return [`${e.source}:${e.event.messageId}`, toWarehouseRow(adapted.routed)];
        }),
      );
      const seen = new Set<string>();
      // Redelivery waits for the leases the killed worker held (up to the subscriber's 20 s lease bound).
      const deadline = Date.now() + 90_000;
      while (seen.size < expected.size && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 1000));
        for (const e of await readBackEvents(store, 'eventkit', encoder))
          seen.add(`${e.source}:${e.event.messageId}`);
      }
      second.kill('SIGTERM');
      assert.equal((await second.exited).code, 0);
      gcs.faults.latencyMs = 0;
      const flushed = second.logs.filter((l) => l.message === 'events_flushed').length;
      assert.equal(
        seen.size,
        expected.size,
        `${seen.size} of ${expected.size} events stored (${flushed} flushes)`,
      );
      assert.ok(filesAtKill < gcs.objects(bucket).length, 'the second worker wrote the rest');

      // Every row of every file is exactly the warehouse row of what was sent (duplicates included).
      let rows = 0;
      for (const object of gcs.objects(bucket)) {
        assert.match(
          object.name,
          /^eventkit\/events\/stream=events\/date=\d{4}-\d\d-\d\d\/hour=\d\d\/(first|second)-/,
        );
        for (const row of await encoder.readRows(object.data)) {
          rows++;
          assert.deepEqual(row, expected.get(`${row.source}:${row.message_id}`));
        }
      }
      assert.ok(rows >= expected.size);
    });
  });
});
