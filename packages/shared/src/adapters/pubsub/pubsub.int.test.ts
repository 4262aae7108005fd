// The Pub/Sub adapters against the real emulator: the queue contract, plus
// what only Pub/Sub has (topic and subscription creation, server-side
// delivery counts).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { PubSub } from '@google-cloud/pubsub';
import { afterAll, describe, test } from 'vitest';
// @eventkit/testing depends on shared, so shared's tests reach it by path (test-only; no package cycle).
import { useEmulators } from '../../../../testing/src/index.ts';
import { eventually, queueContract } from '../../contracts/index.ts';
import type { QueueMessage } from '../../ports/queue.ts';
import { ensureSubscription, ensureTopic } from './admin.ts';
import { createPubSubClient } from './client.ts';
import { PubSubPublisher } from './publisher.ts';
import { PubSubSubscriber } from './subscriber.ts';

const { pubsubHost } = await useEmulators();
const projectId = `eventkit-pubsub-${process.pid}`;
const clients: PubSub[] = [];
const client = () => {
  const c = createPubSubClient({ projectId, emulatorHost: pubsubHost });
  clients.push(c);
  return c;
};
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
});

const names = () => ({ topic: `t-${randomUUID()}`, subscription: `s-${randomUUID()}` });

queueContract('pubsub (emulator)', async () => {
  const pubsub = client();
  const { topic, subscription } = names();
  await ensureSubscription(pubsub, { topic, subscription, create: true, ackDeadlineSeconds: 10 });
  const publisher = new PubSubPublisher({ pubsub, topic });
  const subscribers: PubSubSubscriber[] = [];
  return {
    publisher,
    subscriber(flowControl) {
      const s = new PubSubSubscriber({ pubsub, subscription, flowControl, streams: 1 });
      subscribers.push(s);
      return s;
    },
    async cleanup() {
      await Promise.all(subscribers.map((s) => s.stop()));
      await publisher.close();
    },
  };
});

describe('pubsub adapters', () => {
  test('ensureTopic/ensureSubscription create what is missing, and are idempotent', async () => {
    const pubsub = client();
    const { topic, subscription } = names();
    await ensureSubscription(pubsub, { topic, subscription, create: true });
    await ensureSubscription(pubsub, { topic, subscription, create: true });
    const [exists] = await pubsub.subscription(subscription).exists();
    assert.equal(exists, true);
    const [topicExists] = await (await ensureTopic(pubsub, topic, { create: false })).exists();
    assert.equal(topicExists, true);
  });

  test('ensureSubscription creates the subscription with the message retention asked for (the emulator keeps it)', async () => {
    // The emulator reports 7 days for a subscription created without one, so the
    // explicit default is checked in admin.test.ts; here, that the field reaches Pub/Sub.
    const pubsub = client();
    const { topic, subscription } = names();
    await ensureSubscription(pubsub, {
      topic,
      subscription,
      create: true,
      messageRetentionSeconds: 3 * 86_400,
    });
    const [metadata] = await pubsub.subscription(subscription).getMetadata();
    assert.equal(Number(metadata.messageRetentionDuration?.seconds), 3 * 86_400);
    assert.equal(metadata.retainAckedMessages, false);
  });

  test('ensureSubscription refuses a subscription attached to another topic', async () => {
    const pubsub = client();
    const { topic, subscription } = names();
    await ensureSubscription(pubsub, { topic, subscription, create: true });
    await assert.rejects(
      ensureSubscription(pubsub, { topic: `${topic}-other`, subscription, create: true }),
      /is attached to/,
    );
  });

  test('counts redeliveries itself when the subscription has no dead-letter policy', async () => {
    const pubsub = client();
    const { topic, subscription } = names();
    await ensureSubscription(pubsub, { topic, subscription, create: true });
    const attempts: number[] = [];
    const sub = new PubSubSubscriber({
      pubsub,
      subscription,
      flowControl: { maxMessages: 10, maxBytes: 1 << 20 },
      streams: 1,
    });
    await sub.start(async (m) => {
      attempts.push(m.deliveryAttempt);
      return attempts.length < 3 ? 'nack' : 'ack';
    });
    await new PubSubPublisher({ pubsub, topic }).publish(Buffer.from('x'), {});
    await eventually(() => attempts.length >= 3, 20_000, 'three deliveries');
    await sub.stop();
    assert.deepEqual(attempts.slice(0, 3), [1, 2, 3]);
  });

  test("uses Pub/Sub's delivery count when the subscription has a dead-letter policy", async () => {
    const pubsub = client();
    const { topic, subscription } = names();
    await ensureTopic(pubsub, topic, { create: true });
    const [deadLetterTopic] = await pubsub.createTopic(`${topic}-dl`);
    await pubsub.topic(topic).createSubscription(subscription, {
      deadLetterPolicy: { deadLetterTopic: deadLetterTopic.name, maxDeliveryAttempts: 10 },
    });
    const got: QueueMessage[] = [];
    // Two subscribers in turn: the second sees attempt 2 although it never saw the message before.
    const first = new PubSubSubscriber({
      pubsub,
      subscription,
      flowControl: { maxMessages: 1, maxBytes: 1 << 20 },
    });
    await first.start(async (m) => {
      got.push(m);
      return 'nack';
    });
    await new PubSubPublisher({ pubsub, topic }).publish(Buffer.from('x'), {});
    await eventually(() => got.length >= 1, 20_000, 'first delivery');
    await first.stop();
    const second = new PubSubSubscriber({
      pubsub,
      subscription,
      flowControl: { maxMessages: 1, maxBytes: 1 << 20 },
    });
    await second.start(async (m) => {
      got.push(m);
      return 'ack';
    });
    await eventually(() => got.some((m) => m.deliveryAttempt >= 2), 20_000, 'a counted redelivery');
    await second.stop();
    assert.equal(got[0]!.deliveryAttempt, 1);
  });

  test('stop() nacks messages pulled beyond flow control at once, so another subscriber gets them', async () => {
    const pubsub = client();
    const { topic, subscription } = names();
    await ensureSubscription(pubsub, { topic, subscription, create: true });
    const publisher = new PubSubPublisher({ pubsub, topic });
    await Promise.all(Array.from({ length: 30 }, (_, i) => publisher.publish(Buffer.from(String(i)), {})));
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let started = 0;
    const slow = new PubSubSubscriber({
      pubsub,
      subscription,
      flowControl: { maxMessages: 2, maxBytes: 1 << 20 },
    });
    await slow.start(async () => {
      started++;
      await gate;
      return 'ack';
    });
    await eventually(() => started === 2, 20_000, 'two handlers running');
    const t0 = Date.now();
    const stopping = slow.stop();
    release();
    await stopping;
    assert.ok(Date.now() - t0 < 5_000, `stop() took ${Date.now() - t0} ms`);
    assert.equal(started, 2, 'no handler started after stop()');
    const seen = new Set<string>();
    const next = new PubSubSubscriber({
      pubsub,
      subscription,
      flowControl: { maxMessages: 100, maxBytes: 1 << 20 },
    });
    await next.start(async (m) => {
      seen.add(m.data.toString());
      return 'ack';
    });
    await eventually(() => seen.size >= 28, 30_000, 'the other 28 messages');
    await next.stop();
  });
});
