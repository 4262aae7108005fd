// The WAL's high-water marks, through a real gateway process whose Pub/Sub is
// cut off (a TCP proxy to the emulator, switched off): the gateway accepts up
// to the mark, then answers 429 with Retry-After and writes nothing; when
// Pub/Sub comes back the backlog publishes, the gateway takes events again,
// and every accepted event reaches the topic exactly once.
import assert from 'node:assert/strict';
import path from 'node:path';
import { startTcpProxy, type TcpProxy } from '@eventkit/testing';
import { afterAll, describe, test } from 'vitest';
import {
  type Collected,
  collect,
  startGateway,
  topicWithSubscription,
  until,
  walStatus,
} from './test-support.int.ts';
import { WalStore } from './wal/store.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

const track = (url: string, messageId: string) =>
  fetch(`${url}/v1/track`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'track', event: 'Backlog', userId: 'u', messageId }),
  });

/** The message ids of the rows in the WAL file, pending or published (read beside the running gateway). */
function idsInWal(dataDir: string): string[] {
  const store = new WalStore(path.join(dataDir, 'eventkit_ring_buffer.db'), { readOnly: true });
  try {
    return store
      .readPending(0, 10_000)
      .map((r) => (JSON.parse(r.payload) as { messageId: string }).messageId);
  } finally {
    store.close();
  }
}

/** A gateway whose only way to Pub/Sub is `proxy`, created down (Pub/Sub unreachable). */
async function isolatedGateway(env: Record<string, string>) {
  const { pubsubHost, topic, subscription, pubsub } = await topicWithSubscription();
  cleanups.push(() => pubsub.close());
  const got = collect(subscription);
  cleanups.push(got.stop);
  const proxy = await startTcpProxy(pubsubHost, { up: false });
  cleanups.push(() => proxy.close());
  // The topic exists already; the gateway must not need Pub/Sub to start.
  const gw = await startGateway({
    pubsubHost: proxy.host,
    topic,
    env: { EVENTKIT_PUBSUB_CREATE: 'false', ...env },
  });
  cleanups.push(() => gw.proc.stop('SIGKILL'));
  return { gw, got, proxy };
}

/** Sends one event at a time until the first refusal (at most `limit`); returns the ids accepted and the refusal. */
async function fillToTheMark(url: string, prefix: string, limit: number) {
  const accepted: string[] = [];
  for (let i = 0; i < limit; i++) {
    const id = `${prefix}-${i}`;
    const res = await track(url, id);
    if (res.status === 200) {
      await res.body?.cancel();
      accepted.push(id);
      continue;
    }
    return { accepted, refusal: res, refusedId: id };
  }
  throw new Error(`no refusal after ${limit} events`);
}

async function recovers(url: string, proxy: TcpProxy, got: Collected, accepted: string[], refused: string[]) {
  proxy.up();
  // The publisher retries with backoff (and gRPC reconnects with its own): generous bound.
  await until(
    () => got.events.length >= accepted.length,
    120_000,
    `the ${accepted.length} events of the backlog on the topic`,
  );
  let res = await track(url, 'after-recovery');
  for (let i = 0; res.status === 429 && i < 600; i++) {
    // Published but not yet marked: the gauge drops with the next markPublished.
    await res.body?.cancel();
    await new Promise((r) => setTimeout(r, 100));
    res = await track(url, 'after-recovery');
  }
  assert.equal(res.status, 200, 'accepting again once the backlog published');
  await until(
    () => got.events.some((e) => e.event.messageId === 'after-recovery'),
    60_000,
    'the event accepted after recovery',
  );
  assert.ok(proxy.forwarded > 0, 'the events went through the proxy, the only way to Pub/Sub');
  const counts = new Map<string, number>();
  for (const e of got.events)
    counts.set(e.event.messageId ?? '', (counts.get(e.event.messageId ?? '') ?? 0) + 1);
  for (const id of [...accepted, 'after-recovery'])
    assert.equal(counts.get(id), 1, `${id} on the topic exactly once`);
  for (const id of refused) assert.equal(counts.has(id), false, `${id} was refused: never published`);
}

describe('WAL back-pressure through a gateway process with Pub/Sub unreachable', () => {
  test('EVENTKIT_WAL_MAX_PENDING_EVENTS: 200 up to the mark, then 429 with Retry-After and nothing written; Pub/Sub back → backlog published once, 200 again', async () => {
    const { gw, got, proxy } = await isolatedGateway({ EVENTKIT_WAL_MAX_PENDING_EVENTS: '10' });
    assert.match(gw.proc.output(), /"wal_sync":"full"/, 'synchronous=FULL read back from the WAL connection');

    const { accepted, refusal, refusedId } = await fillToTheMark(gw.url, 'ev', 50);
    assert.equal(accepted.length, 10, 'accepted exactly up to the mark');
    assert.equal(refusal.status, 429);
    assert.equal(refusal.headers.get('retry-after'), '10');
    const body = (await refusal.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'rate_limited');
    assert.match(body.error.message, /EVENTKIT_WAL_MAX_PENDING_EVENTS=10/);
    const refused = [refusedId];
    for (let i = 0; i < 3; i++) {
      const res = await track(gw.url, `ev-refused-${i}`);
      assert.equal(res.status, 429);
      await res.body?.cancel();
      refused.push(`ev-refused-${i}`);
    }
    // Overload is the 429's to say: a load balancer keeps sending to the gateway (and its
    // clients get the Retry-After) instead of answering 502 when every gateway is over the mark.
    assert.equal((await fetch(`${gw.url}/ready`)).status, 200, 'still ready while over the mark');

    const status = walStatus(gw.dataDir);
    assert.equal(status.pending_events, 10);
    assert.equal(status.published_events, 0, 'Pub/Sub really was unreachable');
    assert.deepEqual(
      idsInWal(gw.dataDir),
      accepted,
      'the WAL holds the accepted events and none of the refused',
    );
    assert.equal(got.events.length, 0);

    await recovers(gw.url, proxy, got, accepted, refused);
    assert.equal((await fetch(`${gw.url}/ready`)).status, 200);
    assert.equal(await gw.proc.stop('SIGTERM'), 0, gw.proc.output());
  });

  test('EVENTKIT_WAL_MAX_PENDING_BYTES: 200 until the pending payload bytes reach the mark, then 429; recovery as above', async () => {
    const maxBytes = 2048;
    const { gw, got, proxy } = await isolatedGateway({ EVENTKIT_WAL_MAX_PENDING_BYTES: String(maxBytes) });

    const { accepted, refusal, refusedId } = await fillToTheMark(gw.url, 'by', 200);
    assert.ok(accepted.length > 1, `accepted ${accepted.length}`);
    assert.equal(refusal.status, 429);
    assert.equal(refusal.headers.get('retry-after'), '10');
    const body = (await refusal.json()) as { error: { code: string; message: string } };
    assert.match(body.error.message, new RegExp(`EVENTKIT_WAL_MAX_PENDING_BYTES=${maxBytes}`));

    const status = walStatus(gw.dataDir);
    assert.equal(status.pending_events, accepted.length);
    assert.equal(status.published_events, 0);
    assert.ok(status.pending_bytes >= maxBytes, `refused at ${status.pending_bytes} pending bytes`);
    const store = new WalStore(path.join(gw.dataDir, 'eventkit_ring_buffer.db'), { readOnly: true });
    const rows = store.readPending(0, 10_000);
    store.close();
    const beforeLast = rows.slice(0, -1).reduce((n, r) => n + r.bytes, 0);
    assert.ok(
      beforeLast < maxBytes,
      `the last event was accepted below the mark (${beforeLast} bytes pending)`,
    );
    assert.deepEqual(idsInWal(gw.dataDir), accepted, 'the refused event is not in the WAL');

    await recovers(gw.url, proxy, got, accepted, [refusedId]);
    assert.equal(await gw.proc.stop('SIGTERM'), 0, gw.proc.output());
  });
});
