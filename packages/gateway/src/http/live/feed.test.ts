// The live feed's ring and clients: bounded at every point, private by default.
import assert from 'node:assert/strict';
import type { RoutedEvent } from '@eventkit/shared/event';
import { describe, test } from 'vitest';
import { ingest } from '../../ingest/ingest.ts';
import { CLIENT_QUEUE_LIMIT, LiveFeed, MAX_CLIENTS, RING_CAPACITY } from './feed.ts';

const AT = new Date('2026-12-01T06:00:00.000Z');

/** What the ingest core makes of these items (source "web", by-type streams). */
const resultOf = (items: unknown[]) =>
  ingest({
    items,
    rule: { kind: 'by-type' },
    source: 'web',
    requestId: 'req-1',
    receivedAt: AT,
    maxEventBytes: 32 * 1024,
  });

const track = (i: number, extra: Record<string, unknown> = {}) => ({
  type: 'track',
  event: `Event ${i}`,
  userId: `user-${i}@example.com`,
  messageId: `m-${i}`,
  properties: { plan: 'pro', email: 'ada@example.com' },
  ...extra,
});
const tracks = (from: number, n: number) => Array.from({ length: n }, (_, i) => track(from + i));

describe('the ring', () => {
  test(`holds the last ${RING_CAPACITY} events: at the limit all of them, one over and the oldest is gone`, () => {
    const feed = new LiveFeed({ payloads: false });
    feed.record(resultOf(tracks(1, RING_CAPACITY)), AT);
    let held = feed.recent();
    assert.equal(held.length, RING_CAPACITY);
    assert.equal(held[0]?.messageId, 'm-1');
    assert.equal(held.at(-1)?.messageId, `m-${RING_CAPACITY}`);

    feed.record(resultOf([track(RING_CAPACITY + 1)]), AT);
    held = feed.recent();
    assert.equal(held.length, RING_CAPACITY);
    assert.equal(held[0]?.messageId, 'm-2', 'the oldest went');
    assert.equal(held.at(-1)?.messageId, `m-${RING_CAPACITY + 1}`);
  });

  test('recent(after) gives only what came after that entry, as a reconnecting page asks', () => {
    const feed = new LiveFeed({ payloads: false });
    feed.record(resultOf(tracks(1, 5)), AT);
    const third = feed.recent()[2]?.seq ?? 0;
    assert.deepEqual(
      feed.recent(third).map((e) => e.messageId),
      ['m-4', 'm-5'],
    );
  });

  test('a request bigger than the ring keeps its last entries, refused items (listed last) included', () => {
    const feed = new LiveFeed({ payloads: false, capacity: 3 });
    feed.record(resultOf([...tracks(1, 3), { event: 'r-1' }, { event: 'r-2' }]), AT);
    assert.deepEqual(
      feed.recent().map((e) => [e.status, e.event]),
      [
        ['accepted', 'Event 3'],
        ['rejected', 'r-1'],
        ['rejected', 'r-2'],
      ],
    );
  });

  test('one request bigger than the ring keeps its last events', () => {
    const feed = new LiveFeed({ payloads: false, capacity: 3 });
    feed.record(resultOf(tracks(1, 10)), AT);
    assert.deepEqual(
      feed.recent().map((e) => e.messageId),
      ['m-8', 'm-9', 'm-10'],
    );
  });
});

describe('what an entry shows', () => {
  test('by default: time, type, event name, source, stream, message id, status — no values, ids or emails', () => {
    const feed = new LiveFeed({ payloads: false });
    feed.record(
      resultOf([track(1), { type: 'identify', userId: 'ada@example.com', traits: { email: 'x@y.z' } }]),
      AT,
    );
    const [t, i] = feed.recent();
    assert.deepEqual(
      { ...t, seq: undefined },
      {
        seq: undefined,
        at: AT.toISOString(),
        status: 'accepted',
        type: 'track',
        event: 'Event 1',
        source: 'web',
        stream: 'events',
        messageId: 'm-1',
      },
    );
    assert.equal(i?.stream, 'users');
    assert.doesNotMatch(JSON.stringify(feed.recent()), /example\.com|x@y\.z|pro|user-1/);
  });

  test('a refused item shows its reasons, still without values', () => {
    const feed = new LiveFeed({ payloads: false });
    feed.record(resultOf([{ type: 'track', event: 'No One', properties: { secret: 'hunter2' } }]), AT);
    const [entry] = feed.recent();
    assert.equal(entry?.status, 'rejected');
    assert.equal(entry?.event, 'No One');
    assert.deepEqual(
      entry?.reasons?.map((r) => r.code),
      ['missing_identity'],
    );
    assert.match(entry?.reasons?.[0]?.message ?? '', /userId or an anonymousId/);
    assert.doesNotMatch(JSON.stringify(entry), /hunter2/);
  });

  test('with payloads on, the event as accepted or the item as sent, cut at 4,096 characters', () => {
    const feed = new LiveFeed({ payloads: true });
    feed.record(resultOf([track(1), track(2, { properties: { big: 'x'.repeat(10_000) } })]), AT);
    const [small, big] = feed.recent();
    assert.equal((JSON.parse(small?.payload ?? '{}') as RoutedEvent['event']).userId, 'user-1@example.com');
    assert.match(small?.payload ?? '', /ada@example\.com/);
    assert.equal(big?.payload?.length, 4096 + '… (cut)'.length);
  });

  test('a payload of exactly 4,096 characters is kept whole; one more and it is cut', () => {
    const feed = new LiveFeed({ payloads: true });
    // The event's JSON grows by one character per character of padding.
    const eventJson = (i: number, pad: string) =>
      JSON.stringify(resultOf([track(i, { properties: { pad } })]).accepted[0]?.event);
    const base = eventJson(1, '').length;
    const [fits, overflows] = ['x'.repeat(4096 - base), 'x'.repeat(4097 - base)];
    feed.record(
      resultOf([track(1, { properties: { pad: fits } }), track(2, { properties: { pad: overflows } })]),
      AT,
    );
    const [atLimit, over] = feed.recent();
    assert.ok(atLimit?.payload === eventJson(1, fits), 'kept whole');
    assert.equal(atLimit?.payload?.length, 4096);
    assert.ok(over?.payload === `${eventJson(2, overflows).slice(0, 4096)}… (cut)`, 'cut at 4,096');
  });

  test('an event name of 200 characters is shown whole; a longer one is cut at 200', () => {
    const feed = new LiveFeed({ payloads: false });
    feed.record(resultOf([track(1, { event: 'e'.repeat(200) }), track(2, { event: 'f'.repeat(201) })]), AT);
    const [atLimit, over] = feed.recent();
    assert.equal(atLimit?.event, 'e'.repeat(200));
    assert.equal(over?.event, 'f'.repeat(200));
  });

  test('a request refused as a whole: one entry with its code and message', () => {
    const feed = new LiveFeed({ payloads: false });
    feed.refused(AT, { code: 'unauthorized', message: 'the write key is not known to this gateway' });
    const [entry] = feed.recent();
    assert.equal(entry?.status, 'rejected');
    assert.equal(entry?.source, null);
    assert.deepEqual(entry?.reasons, [
      { code: 'unauthorized', message: 'the write key is not known to this gateway' },
    ]);
  });

  test('recording never throws into the request, whatever it is given', () => {
    const feed = new LiveFeed({ payloads: true });
    assert.doesNotThrow(() => feed.record(undefined as never, AT));
    feed.record(resultOf([track(1)]), AT);
    assert.equal(feed.recent().length, 1, 'and it keeps working');
  });
});

describe('clients', () => {
  test(`${MAX_CLIENTS} clients at once; one more is refused until one leaves`, () => {
    const feed = new LiveFeed({ payloads: false });
    const clients = Array.from({ length: MAX_CLIENTS }, () => feed.subscribe());
    assert.ok(clients.every(Boolean));
    assert.equal(feed.subscribe(), undefined);
    clients[0]?.close();
    assert.ok(feed.subscribe());
  });

  test(`a client ${CLIENT_QUEUE_LIMIT} entries behind is kept; one more and it is dropped, the others go on`, async () => {
    const feed = new LiveFeed({ payloads: false });
    const stalled = feed.subscribe();
    const reading = feed.subscribe();
    assert.ok(stalled && reading);
    let dropped = 0;
    stalled.onHangUp = () => dropped++;

    for (let i = 0; i < CLIENT_QUEUE_LIMIT / 500; i++) {
      feed.record(resultOf(tracks(i * 500 + 1, 500)), AT);
      assert.equal((await reading.next(10))?.length, 500);
    }
    assert.equal(stalled.queued, CLIENT_QUEUE_LIMIT);
    assert.equal(stalled.dropped, false);

    feed.record(resultOf([track(CLIENT_QUEUE_LIMIT + 1)]), AT);
    assert.equal(stalled.dropped, true);
    assert.equal(dropped, 1);
    assert.equal(await stalled.next(10), null, 'its stream ends');
    assert.equal(feed.clientCount, 1, 'its slot is free');
    assert.deepEqual(
      (await reading.next(10))?.map((e) => e.messageId),
      [`m-${CLIENT_QUEUE_LIMIT + 1}`],
    );
  });

  test('a waiting client wakes on the next entry, and gets [] when nothing came', async () => {
    const feed = new LiveFeed({ payloads: false });
    const client = feed.subscribe();
    assert.ok(client);
    assert.deepEqual(await client.next(5), []);
    const waiting = client.next(5_000);
    feed.record(resultOf([track(1)]), AT);
    assert.deepEqual(
      (await waiting)?.map((e) => e.messageId),
      ['m-1'],
    );
    const closing = client.next(5_000);
    client.close();
    assert.equal(await closing, null);
  });
});
