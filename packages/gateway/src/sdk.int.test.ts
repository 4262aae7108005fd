// Stock SDKs, unmodified but for their host, against a listening gateway whose
// Pub/Sub topic the test reads: every event sent is accounted for.
import assert from 'node:assert/strict';
import Rudder from '@rudderstack/rudder-sdk-node';
import { Analytics } from '@segment/analytics-node';
import { afterAll, describe, test } from 'vitest';
import { collect, startGateway, topicWithSubscription, until } from './test-support.int.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

async function gatewayWithTopic() {
  const { pubsubHost, topic, subscription, pubsub } = await topicWithSubscription();
  cleanups.push(() => pubsub.close());
  const got = collect(subscription);
  cleanups.push(got.stop);
  const gw = await startGateway({
    pubsubHost,
    topic,
    env: { EVENTKIT_WRITE_KEYS: 'wk-segment=segment-node,wk-rudder=rudder-node', EVENTKIT_LOG_LEVEL: 'warn' },
  });
  cleanups.push(() => gw.proc.stop('SIGKILL'));
  return { gw, got };
}

describe('real SDKs through the gateway into Pub/Sub', () => {
  test('@segment/analytics-node: 10,000 events, every one accounted for, with its write key as source', async () => {
    const { gw, got } = await gatewayWithTopic();
    const analytics = new Analytics({ writeKey: 'wk-segment', host: gw.url, flushAt: 100, maxRetries: 5 });
    const failures: unknown[] = [];
    analytics.on('error', (err) => failures.push(err));
    const total = 10_000;
    for (let i = 0; i < total; i++) {
      const userId = `user-${i % 500}`;
      if (i % 1000 === 0) analytics.identify({ userId, traits: { seq: i } });
      analytics.track({ userId, event: 'Order Completed', properties: { seq: i, revenue: i / 100 } });
    }
    await analytics.closeAndFlush({ timeout: 60_000 });
    assert.deepEqual(failures, []);
    await until(() => got.events.length >= total + 10, 60_000, `${total + 10} events on the topic`);
    const tracks = got.events.filter((e) => e.event.type === 'track');
    const seqs = new Set(tracks.map((e) => (e.event.properties as { seq: number }).seq));
    assert.equal(seqs.size, total, 'every track event arrived');
    assert.ok(tracks.every((e) => e.source === 'segment-node' && e.stream === 'events'));
    const identifies = got.events.filter((e) => e.event.type === 'identify');
    assert.equal(identifies.length, 10);
    assert.ok(identifies.every((e) => e.stream === 'users'));
    const sample = tracks[0]!.event;
    assert.ok(
      sample.messageId && sample.receivedAt && sample.timestamp && sample.sentAt,
      'normalised fields are set',
    );
    assert.equal(
      (sample.context as { library?: { name?: string } }).library?.name,
      '@segment/analytics-node',
    );
  });

  test('@rudderstack/rudder-sdk-node (gzip, Basic auth, originalTimestamp): every call type arrives', async () => {
    const { gw, got } = await gatewayWithTopic();
    const client = new Rudder('wk-rudder', {
      dataPlaneUrl: gw.url,
      flushAt: 50,
      flushInterval: 200,
      logLevel: 'error',
    });
    const n = 500;
    for (let i = 0; i < n; i++)
      client.track({ userId: `r-${i % 20}`, event: 'Viewed', properties: { seq: i } });
    client.identify({ userId: 'r-1', traits: { name: 'x' } });
    client.page({ userId: 'r-1', name: 'Home', properties: { path: '/' } });
    client.screen({ userId: 'r-1', name: 'Main' });
    client.group({ userId: 'r-1', groupId: 'g-1', traits: { size: 3 } });
    client.alias({ userId: 'r-1', previousId: 'anon-1' });
    await client.flush();
    await until(() => got.events.length >= n + 5, 30_000, `${n + 5} rudder events`);
    const types = new Map<string, number>();
    for (const e of got.events) types.set(e.event.type, (types.get(e.event.type) ?? 0) + 1);
    assert.deepEqual(Object.fromEntries(types), {
      track: n,
      identify: 1,
      page: 1,
      screen: 1,
      group: 1,
      alias: 1,
    });
    assert.ok(got.events.every((e) => e.source === 'rudder-node'));
    const page = got.events.find((e) => e.event.type === 'page')!;
    assert.equal(page.stream, 'pages');
    assert.ok(page.event.originalTimestamp, 'rudder sends originalTimestamp; the gateway keeps it');
    assert.equal(got.deadLetters.length, 0);
  });
});
