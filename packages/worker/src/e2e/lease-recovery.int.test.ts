// How long the messages a SIGKILLed worker held take to reach another worker.
// Pub/Sub redelivers them only when the lease the dead worker last set runs
// out; the client sizes that lease by the 99th percentile of its ack times
// (clamped to the subscriber's min/max ack deadline), so a worker that holds
// messages until a long flush interval asks for long leases. The test gives the
// first worker that history (a message held HOLD_S before its flush acked it),
// then lets it take 300 events it holds unacked, kills it, and measures how
// long a second worker, already running, takes to store them.
//
//   node scripts/run-tests.ts int lease-recovery
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileObjectStore } from '@eventkit/shared/local';
import { createPubSubClient, ensureSubscription, PubSubPublisher } from '@eventkit/shared/pubsub';
import { useEmulators } from '@eventkit/testing';
import { afterAll, test } from 'vitest';
import { ParquetEncoder } from '../sinks/parquet.ts';
import { readBackEvents } from '../sinks/test-support.ts';
import { freePort, logged, startWorkerProcess, type WorkerProcess } from '../testing/child.ts';
import { envelopeOf, events } from '../testing/helpers.ts';

const HOLD_S = 45;
/** The subscriber's lease bound (maxAckDeadline in packages/shared/src/adapters/pubsub/subscriber.ts). */
const LEASE_BOUND_S = 20;
/** What the test accepts on a loaded machine and the emulator (see the measurements below). */
const RECOVERY_LIMIT_S = 150;

const { pubsubHost } = await useEmulators();
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

/** Polls an async condition every 250 ms; rejects after `timeoutMs`. */
async function eventually(predicate: () => boolean | Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function metricValue(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  return line ? Number(line.split(' ').pop()) : Number.NaN;
}

test(`a SIGKILLed worker's held messages reach a second worker, which stores them all (lease bound ${LEASE_BOUND_S} s; the figure is reported)`, {
  timeout: 300_000,
}, async (t) => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'eventkit-lease-'));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  const projectId = `lease-${randomUUID().slice(0, 8)}`;
  const topic = `lease-${randomUUID()}`;
  const subscription = `${topic}-sub`;
  const pubsub = createPubSubClient({ projectId, emulatorHost: pubsubHost });
  cleanups.push(() => pubsub.close());
  await ensureSubscription(pubsub, { topic, subscription, create: true, ackDeadlineSeconds: 10 });
  const publisher = new PubSubPublisher({ pubsub, topic });
  cleanups.push(() => publisher.close());
  const publish = async (list: ReturnType<typeof events>) => {
    const env = await envelopeOf(list);
    await publisher.publish(env.data, env.attributes);
  };
  const store = new FileObjectStore(dataDir);
  const encoder = await ParquetEncoder.create();
  cleanups.push(() => encoder.close());
  const stored = async () =>
    new Set((await readBackEvents(store, '', encoder)).map((e) => e.event.messageId));
  const env = {
    GCP_PROJECT_ID: projectId,
    PUBSUB_EMULATOR_HOST: pubsubHost,
    EVENTKIT_PUBSUB_TOPIC: topic,
    EVENTKIT_PUBSUB_SUBSCRIPTION: subscription,
    EVENTKIT_EVENT_STORE: 'file',
    EVENTKIT_DATA_DIR: dataDir,
    EVENTKIT_PUBSUB_WORKERS: '1',
    EVENTKIT_PARTITIONS: '1',
    EVENTKIT_SHUTDOWN_TIMEOUT: '10',
  };

  // 1. The first worker flushes on its interval only (HOLD_S): one message
  // held HOLD_S, then acked; the only ack time the library has seen. (A second,
  // short ack time would not do: its percentile reads its buckets in insertion
  // order, so which one counts would depend on the order of the acks.)
  const port = await freePort();
  const first: WorkerProcess = startWorkerProcess({
    ...env,
    EVENTKIT_METRICS_PORT: String(port),
    EVENTKIT_EVENTLOADER_FLUSH_INTERVAL: String(HOLD_S),
    EVENTKIT_WORKER_ID: 'first',
  });
  cleanups.push(async () => first.kill('SIGKILL'));
  await eventually(() => logged(first, 'worker_started').length === 1, 30_000, 'first worker start');
  await publish(events(10, 0));
  await eventually(async () => (await stored()).size === 10, (HOLD_S + 60) * 1000, 'the interval flush');
  await eventually(
    async () => (await metricValue(port, 'eventkit_worker_in_flight_messages')) === 0,
    30_000,
    'acked',
  );

  // 2. 300 events it takes and holds (its next interval flush is HOLD_S away): leased, unacked.
  const held = events(300, 1000);
  for (let i = 0; i < held.length; i += 100) await publish(held.slice(i, i + 100));
  await eventually(
    async () => (await metricValue(port, 'eventkit_worker_in_flight_messages')) === 3,
    30_000,
    'the 300 events held',
  );

  // 3. A second worker, subscribed before the kill (its start-up is not part
  // of the figure), gets them once the dead worker's leases run out.
  const second = startWorkerProcess({
    ...env,
    EVENTKIT_METRICS_PORT: String(await freePort()),
    EVENTKIT_EVENTLOADER_FLUSH_INTERVAL: '1',
    EVENTKIT_WORKER_ID: 'second',
  });
  cleanups.push(async () => second.kill('SIGKILL'));
  await eventually(() => logged(second, 'worker_started').length === 1, 30_000, 'second worker start');
  first.kill('SIGKILL');
  const killedAt = Date.now();
  assert.equal((await first.exited).signal, 'SIGKILL');
  const atKill = await stored();
  assert.equal(atKill.size, 10, 'none of the 300 held events was written before the kill');
  let firstSeenAt = 0;
  await eventually(
    async () => {
      const ids = await stored();
      if (firstSeenAt === 0 && held.some((e) => ids.has(e.event.messageId))) firstSeenAt = Date.now();
      return held.every((e) => ids.has(e.event.messageId));
    },
    180_000,
    'the 300 held events stored by the second worker',
  );
  const allSeconds = (Date.now() - killedAt) / 1000;
  const firstSeconds = (firstSeenAt - killedAt) / 1000;
  void t.annotate(
    `recovery after SIGKILL: first held event stored after ${firstSeconds.toFixed(1)} s, all 300 after ${allSeconds.toFixed(1)} s (flush interval 1 s; the first worker had held a message ${HOLD_S} s)`,
  );
  second.kill('SIGTERM');
  assert.equal((await second.exited).code, 0);
  // On the emulator redelivery is not bounded by the lease alone: with the
  // 20 s bound this measured 8.6 s, 24.7 s, 70.1 s and 18.2 s (and 64.6 s once with the
  // former 60 s bound). So the bound here is generous: the messages come back
  // to another worker and nothing is lost; the figure is reported above.
  assert.ok(
    allSeconds < RECOVERY_LIMIT_S,
    `recovered in ${allSeconds.toFixed(1)} s, lease bound ${LEASE_BOUND_S} s`,
  );
});
