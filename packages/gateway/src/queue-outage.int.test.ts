// A Pub/Sub outage while the gateway is publishing, through a real gateway
// process whose only way to Pub/Sub is a TCP proxy the test cuts: connections
// are reset mid-flight and publishes are in flight when the network goes.
// The promise: once Pub/Sub is reachable again, the backlog is published
// within a bound, not when some request started during the outage gives up.
//
// The bound (RECOVERY_BOUND_MS) is what the relay and the client promise
// together: the relay's longest retry wait (5 s), the gRPC channel's longest
// reconnect wait (5 s, +20 % jitter; PubSub client option
// grpc.max_reconnect_backoff_ms), and one publish — with room for a busy
// machine. Before the fix the client retried inside each publish with growing
// waits and no regard for its deadline, so the relay's four slots stayed held
// by requests begun during the outage for 20–35 s after it ended.
import assert from 'node:assert/strict';
import { startTcpProxy } from '@eventkit/testing';
import { afterAll, describe, test } from 'vitest';
import { collect, startGateway, topicWithSubscription, until, walStatus } from './test-support.int.ts';

const OUTAGE_MS = 20_000;
const RECOVERY_BOUND_MS = 15_000;

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

const track = async (url: string, messageId: string) => {
  const res = await fetch(`${url}/v1/track`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'track', event: 'Outage', userId: 'u', messageId }),
  });
  await res.body?.cancel();
  return res.status;
};

describe('a Pub/Sub outage with publishes in flight', () => {
  test(`the backlog is on the topic within ${RECOVERY_BOUND_MS / 1000} s of Pub/Sub coming back, each event once`, async () => {
    const { pubsubHost, topic, subscription, pubsub } = await topicWithSubscription();
    cleanups.push(() => pubsub.close());
    const got = collect(subscription);
    cleanups.push(got.stop);
    const proxy = await startTcpProxy(pubsubHost);
    cleanups.push(() => proxy.close());
    const gw = await startGateway({
      pubsubHost: proxy.host,
      topic,
      env: { EVENTKIT_PUBSUB_CREATE: 'false' },
    });
    cleanups.push(() => gw.proc.stop('SIGKILL'));

    const accepted: string[] = [];
    const send = async (id: string) => {
      assert.equal(await track(gw.url, id), 200, `${id} accepted`);
      accepted.push(id);
    };
    // Connected and publishing before the fault.
    for (let i = 0; i < 20; i++) await send(`before-${i}`);
    await until(() => got.events.length >= 20, 30_000, 'the first 20 events on the topic');
    // ...and marked published (the confirmation reached the gateway), so the cut
    // below finds no answer of theirs on the wire.
    await until(() => walStatus(gw.dataDir).pending_events === 0, 30_000, 'the first 20 marked published');

    // The outage: events keep arriving (the WAL takes them), so publishes are
    // started, retried and in flight all through it.
    proxy.down();
    const outageEnds = Date.now() + OUTAGE_MS;
    for (let i = 0; Date.now() < outageEnds; i++) {
      await send(`during-${i}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const during = accepted.filter((id) => id.startsWith('during-'));
    // The state before recovery: acknowledged, held in the WAL, not on the topic.
    assert.ok(during.length >= 50, `${during.length} events accepted during the outage`);
    assert.equal(
      walStatus(gw.dataDir).pending_events,
      during.length,
      'every event of the outage pending in the WAL',
    );
    const seen = new Set(got.events.map((e) => e.event.messageId));
    assert.ok(!during.some((id) => seen.has(id)), 'nothing reached the topic during the outage');

    proxy.up();
    const backAt = Date.now();
    await until(
      () => got.events.length >= accepted.length,
      RECOVERY_BOUND_MS,
      `the ${during.length} events of the outage on the topic after Pub/Sub came back`,
    );
    const recoveredInMs = Date.now() - backAt;

    const counts = new Map<string, number>();
    for (const e of got.events)
      counts.set(e.event.messageId ?? '', (counts.get(e.event.messageId ?? '') ?? 0) + 1);
    for (const id of accepted) assert.equal(counts.get(id), 1, `${id} on the topic exactly once`);
    assert.equal(await gw.proc.stop('SIGTERM'), 0, gw.proc.output());
    console.log(`backlog of ${during.length} published ${recoveredInMs} ms after Pub/Sub came back`);
  });
});
