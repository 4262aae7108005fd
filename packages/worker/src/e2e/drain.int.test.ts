// The worker executable end to end on the file store: operations endpoints,
// invalid events kept with their reasons, and a SIGTERM drain that flushes
// every partition, acks what was written and exits in time.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually } from '@eventkit/shared/contracts';
import { FileObjectStore } from '@eventkit/shared/local';
import { listAll } from '@eventkit/shared/ports';
import { createPubSubClient, ensureSubscription, PubSubPublisher } from '@eventkit/shared/pubsub';
import { useEmulators } from '@eventkit/testing';
import { afterAll, describe, test } from 'vitest';
import { ObjectStoreDeadLetterStore } from '../sinks/object-store-dead-letters.ts';
import { ParquetEncoder } from '../sinks/parquet.ts';
import { readBackEvents } from '../sinks/test-support.ts';
import { freePort, logged, startWorkerProcess, type WorkerProcess } from '../testing/child.ts';
import { envelopeOf, events } from '../testing/helpers.ts';

const { pubsubHost } = await useEmulators();
/** The worker's lease bound (maxAckDeadline in packages/shared/src/adapters/pubsub/subscriber.ts). */
const LEASE_BOUND_S = 20;
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

async function metricValue(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  return line ? Number(line.split(' ').pop()) : Number.NaN;
}

describe('eventkit-worker run (file store)', () => {
  test('serves health, ready and metrics; keeps invalid events; drains on SIGTERM and exits in time', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'eventkit-drain-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const projectId = `drain-${randomUUID().slice(0, 8)}`;
    const topic = `drain-${randomUUID()}`;
    const subscription = `${topic}-sub`;
    const pubsub = createPubSubClient({ projectId, emulatorHost: pubsubHost });
    cleanups.push(() => pubsub.close());
    await ensureSubscription(pubsub, { topic, subscription, create: true, ackDeadlineSeconds: 10 });

    const port = await freePort();
    const worker: WorkerProcess = startWorkerProcess({
      GCP_PROJECT_ID: projectId,
      PUBSUB_EMULATOR_HOST: pubsubHost,
      EVENTKIT_PUBSUB_TOPIC: topic,
      EVENTKIT_PUBSUB_SUBSCRIPTION: subscription,
      EVENTKIT_EVENT_STORE: 'file',
      EVENTKIT_DATA_DIR: dataDir,
      EVENTKIT_METRICS_PORT: String(port),
      // Nothing is flushed before the SIGTERM: no size, interval or pressure trigger.
      EVENTKIT_EVENTLOADER_FLUSH_INTERVAL: '300',
      EVENTKIT_SHUTDOWN_TIMEOUT: '10',
    });
    cleanups.push(async () => worker.kill('SIGKILL'));
    await eventually(() => logged(worker, 'worker_started').length === 1, 20_000, 'worker start');
    assert.equal((await fetch(`http://127.0.0.1:${port}/health`)).status, 200);
    let readyStatus = 0;
    for (let i = 0; i < 50 && readyStatus !== 200; i++) {
      readyStatus = (await fetch(`http://127.0.0.1:${port}/ready`)).status;
      if (readyStatus !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(readyStatus, 200);

    const publisher = new PubSubPublisher({ pubsub, topic });
    const good = events(500);
    const bad = events(5, 1000).map((r) => ({ ...r, event: { ...r.event, event: undefined } }));
    for (const list of [good.slice(0, 250), good.slice(250), bad]) {
      const env = await envelopeOf(list as typeof good);
      await publisher.publish(env.data, env.attributes);
    }
    await publisher.close();
    for (let i = 0; i < 100; i++) {
      const buffered = await metricValue(port, 'eventkit_worker_buffered_events');
      const deadLettered = await metricValue(port, 'eventkit_worker_events_dead_lettered_total');
      if (buffered === 500 && deadLettered === 5) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(await metricValue(port, 'eventkit_worker_buffered_events'), 500);
    assert.equal(await metricValue(port, 'eventkit_worker_events_dead_lettered_total'), 5);
    assert.equal(await metricValue(port, 'eventkit_worker_in_flight_messages'), 2);

    const t0 = Date.now();
    worker.kill('SIGTERM');
    const exit = await worker.exited;
    const took = Date.now() - t0;
    assert.equal(exit.code, 0);
    assert.ok(took < 10_000, `drain took ${took} ms`);
    const [stopped] = logged(worker, 'worker_stopped');
    assert.equal(stopped?.drained, true);
    assert.equal(stopped?.acked, 3);
    assert.equal(stopped?.nacked, 0);

    const store = new FileObjectStore(dataDir);
    const encoder = await ParquetEncoder.create();
    cleanups.push(() => encoder.close());
    const written = await readBackEvents(store, '', encoder);
    assert.equal(new Set(written.map((e) => e.event.messageId)).size, 500);
    const keys: string[] = [];
    for await (const o of listAll(store, 'events/')) keys.push(o.key);
    assert.ok(
      keys.every((k) => /^events\/stream=events\/date=\d{4}-\d\d-\d\d\/hour=\d\d\/[^/]+\.parquet$/.test(k)),
    );

    const letters = [];
    for await (const l of new ObjectStoreDeadLetterStore({ store, prefix: '', workerId: 'x' }).scan())
      letters.push(l);
    assert.equal(letters.length, 5);
    assert.ok(
      letters.every(
        (l) => l.errorType === 'validation' && l.reasons.some((r) => r.code === 'missing_event_name'),
      ),
    );

    // Everything was acked: nothing comes back. A lost ack shows only once the
    // lease it left runs out (at most the subscriber's lease bound, 20 s). A
    // marker, pulled and never acked, is the control: when it comes back to a
    // synchronous pull after the wait, any message whose ack was lost would
    // have come back with it.
    const marker = new PubSubPublisher({ pubsub, topic });
    const markerId = await marker.publish(Buffer.from('marker'), {});
    await marker.close();
    const pull = async (): Promise<string[]> => {
      const res = await fetch(
        `http://${pubsubHost}/v1/projects/${projectId}/subscriptions/${subscription}:pull`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ maxMessages: 100, returnImmediately: true }),
        },
      );
      assert.equal(res.status, 200, await res.clone().text());
      const body = (await res.json()) as { receivedMessages?: { message: { messageId: string } }[] };
      return (body.receivedMessages ?? []).map((m) => m.message.messageId);
    };
    /** Pulls (never acking) until the marker is among the messages, within `timeoutMs`; then once more. */
    const pullUntilMarker = async (timeoutMs: number): Promise<string[]> => {
      const got: string[] = [];
      const deadline = Date.now() + timeoutMs;
      while (!got.includes(markerId)) {
        if (Date.now() > deadline) throw new Error(`the marker did not come back within ${timeoutMs} ms`);
        const ids = await pull();
        got.push(...ids);
        if (ids.length === 0) await new Promise((r) => setTimeout(r, 250));
      }
      got.push(...(await pull())); // what a reordering left behind
      return got;
    };
    assert.deepEqual(await pullUntilMarker(30_000), [markerId], 'only the marker is on the subscription');
    await new Promise((r) => setTimeout(r, (LEASE_BOUND_S + 5) * 1000));
    assert.deepEqual(
      await pullUntilMarker(60_000),
      [markerId],
      'past the lease bound the unacked marker comes back, and nothing else does',
    );
  });
});
