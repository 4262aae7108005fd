// The contracts of the event sink and the dead-letter store (memory, file, GCS, Firestore).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, test } from 'vitest';
import type { DeadLetter, RoutedEvent } from '../event/types.ts';
import type { DeadLetterStore } from '../ports/dead-letter.ts';
import type { EventSink } from '../ports/event-sink.ts';

export function sampleEvent(i: number, overrides: Partial<RoutedEvent> = {}): RoutedEvent {
  return {
    stream: 'events',
    source: 'web',
    requestId: `req-${Math.floor(i / 10)}`,
    event: {
      type: 'track',
      event: 'Order Completed',
      messageId: `msg-${i}`,
      userId: `user-${i % 13}`,
      timestamp: '2026-11-27T10:00:00.000Z',
      originalTimestamp: '2026-11-27T10:00:00.000Z',
      sentAt: '2026-11-27T10:00:00.500Z',
      receivedAt: '2026-11-27T10:00:00.600Z',
      properties: { revenue: i, currency: 'EUR', nested: { a: [1, 2, { b: null }] } },
      context: { library: { name: 'analytics-node', version: '3.1.0' } },
    },
    ...overrides,
  };
}

export interface EventSinkUnderTest {
  sink: EventSink;
  /** Every event the sink's store now holds (as the sink stored it). */
  readBack(): Promise<RoutedEvent[]>;
  cleanup(): Promise<void>;
}

const key = (e: RoutedEvent) => `${e.source}:${e.event.messageId}`;

export function eventSinkContract(name: string, make: () => Promise<EventSinkUnderTest>): void {
  describe(`event sink contract: ${name}`, () => {
    const opened: EventSinkUnderTest[] = [];
    const open = async () => {
      const s = await make();
      opened.push(s);
      return s;
    };
    afterAll(async () => {
      for (const s of opened) await s.cleanup();
    });

    test('is reachable', async () => {
      const { sink } = await open();
      await sink.check();
    });

    test('holds every event of a written batch once write() resolved, fields intact', async () => {
      const { sink, readBack } = await open();
      const events = Array.from({ length: 25 }, (_, i) => sampleEvent(i));
      const receipt = await sink.write({ stream: 'events', partition: 3, events });
      assert.equal(receipt.count, 25);
      const stored = await readBack();
      const byKey = new Map(stored.map((e) => [key(e), e]));
      for (const e of events) {
        const got = byKey.get(key(e));
        assert.ok(got, `event ${key(e)} missing after write`);
        assert.equal(got.event.type, 'track');
        assert.equal(got.event.userId, e.event.userId);
        assert.deepEqual(got.event.properties, e.event.properties);
        assert.equal(got.stream, 'events');
      }
    });

    test('writing the same batch again is harmless (at-least-once delivery)', async () => {
      const { sink, readBack } = await open();
      const events = [sampleEvent(100), sampleEvent(101)];
      await sink.write({ stream: 'events', partition: 0, events });
      await sink.write({ stream: 'events', partition: 0, events });
      const keys = new Set((await readBack()).map(key));
      assert.ok(keys.has('web:msg-100') && keys.has('web:msg-101'));
    });

    test('keeps events of different sources with the same messageId apart', async () => {
      const { sink, readBack } = await open();
      const a = sampleEvent(7, { source: 'web' });
      const b = sampleEvent(7, { source: 'ios' });
      b.event = { ...b.event, userId: 'someone-else' };
      await sink.write({ stream: 'events', partition: 0, events: [a, b] });
      const stored = await readBack();
      const fromIos = stored.find((e) => key(e) === 'ios:msg-7');
      const fromWeb = stored.find((e) => key(e) === 'web:msg-7');
      assert.equal(fromIos?.event.userId, 'someone-else');
      assert.equal(fromWeb?.event.userId, a.event.userId);
    });
  });
}

export function sampleDeadLetter(i: number, overrides: Partial<DeadLetter> = {}): DeadLetter {
  return {
    id: randomUUID(),
    errorType: 'validation',
    reasons: [{ code: 'missing_event_name', message: 'track events need an "event" name', path: 'event' }],
    failedAt: new Date(Date.UTC(2026, 10, 27, 10, 0, i)).toISOString(),
    stream: 'events',
    source: 'web',
    requestId: 'req-1',
    receivedAt: '2026-11-27T10:00:00.000Z',
    messageId: `bad-${i}`,
    payload: { type: 'track', userId: 'u1', properties: { i } },
    ...overrides,
  };
}

export interface DeadLetterStoreUnderTest {
  store: DeadLetterStore;
  cleanup(): Promise<void>;
}

export function deadLetterStoreContract(name: string, make: () => Promise<DeadLetterStoreUnderTest>): void {
  describe(`dead-letter store contract: ${name}`, () => {
    const opened: DeadLetterStoreUnderTest[] = [];
    const open = async () => {
      const s = await make();
      opened.push(s);
      return s.store;
    };
    afterAll(async () => {
      for (const s of opened) await s.cleanup();
    });

    const collect = async (it: AsyncIterable<DeadLetter>) => {
      const out: DeadLetter[] = [];
      for await (const l of it) out.push(l);
      return out;
    };

    test('keeps every letter with its reasons and original payload', async () => {
      const store = await open();
      const letters = [sampleDeadLetter(1), sampleDeadLetter(2)];
      await store.write(letters);
      const got = await collect(store.scan());
      assert.equal(got.length, 2);
      const first = got.find((l) => l.id === letters[0]!.id);
      assert.deepEqual(first?.reasons, letters[0]!.reasons);
      assert.deepEqual(first?.payload, letters[0]!.payload);
      assert.equal(first?.requestId, 'req-1');
    });

    test('keeps processing errors with their raw bytes', async () => {
      const store = await open();
      const raw = Buffer.from([0x45, 0x4b, 9, 0, 1, 2]).toString('base64');
      const letter = sampleDeadLetter(3, {
        errorType: 'processing',
        reasons: [{ code: 'envelope_unknown_version', message: 'envelope version 9 is not supported' }],
        raw,
        payload: undefined,
      });
      delete letter.payload;
      await store.write([letter]);
      const [got] = await collect(store.scan({ errorType: 'processing' }));
      assert.equal(got?.raw, raw);
    });

    test('filters by error type and time, oldest first', async () => {
      const store = await open();
      await store.write([
        sampleDeadLetter(30),
        sampleDeadLetter(10),
        sampleDeadLetter(20, { errorType: 'processing' }),
      ]);
      const validation = await collect(store.scan({ errorType: 'validation' }));
      assert.deepEqual(
        validation.map((l) => l.messageId),
        ['bad-10', 'bad-30'],
      );
      const recent = await collect(store.scan({ since: new Date(Date.UTC(2026, 10, 27, 10, 0, 15)) }));
      assert.deepEqual(
        recent.map((l) => l.messageId),
        ['bad-20', 'bad-30'],
      );
    });
  });
}
