// The contract every queue adapter keeps (in-memory, Pub/Sub): run it from an
// adapter's test file with a factory that builds a fresh, empty queue.
import assert from 'node:assert/strict';
import { afterAll, describe, test } from 'vitest';
import type {
  FlowControl,
  MessageHandler,
  QueueMessage,
  QueuePublisher,
  QueueSubscriber,
} from '../ports/queue.ts';

export interface QueueUnderTest {
  publisher: QueuePublisher;
  /** A new subscriber on the same queue (each call: a new consumer, as a new worker process would be). */
  subscriber(flow: FlowControl): QueueSubscriber;
  cleanup(): Promise<void>;
}

/** Resolves when `predicate` holds, polling; rejects after `timeoutMs`. */
export async function eventually(
  predicate: () => boolean,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const flow: FlowControl = { maxMessages: 100, maxBytes: 10 * 1024 * 1024 };

export function queueContract(name: string, make: () => Promise<QueueUnderTest>): void {
  describe(`queue contract: ${name}`, () => {
    const opened: QueueUnderTest[] = [];
    const open = async () => {
      const q = await make();
      opened.push(q);
      return q;
    };
    afterAll(async () => {
      for (const q of opened) await q.cleanup();
    });

    test('delivers a published message with its data and attributes, first attempt 1', async () => {
      const q = await open();
      const got: QueueMessage[] = [];
      const sub = q.subscriber(flow);
      await sub.start(async (m) => {
        got.push(m);
        return 'ack';
      });
      const data = Buffer.from([0x45, 0x4b, 0, 255, 1]);
      const id = await q.publisher.publish(data, { stream: 'events', event_count: '1' });
      assert.equal(typeof id, 'string');
      await eventually(() => got.length === 1, 15_000, 'delivery');
      assert.deepEqual(Buffer.from(got[0]!.data), data);
      assert.equal(got[0]!.attributes.stream, 'events');
      assert.equal(got[0]!.attributes.event_count, '1');
      assert.equal(got[0]!.id, id);
      assert.equal(got[0]!.deliveryAttempt, 1);
      await sub.stop();
    });

    test('redelivers a nacked message, and a message whose handler threw', async () => {
      const q = await open();
      const attempts = new Map<string, number[]>();
      const sub = q.subscriber(flow);
      await sub.start(async (m) => {
        const key = m.attributes.k ?? '';
        const seen = attempts.get(key) ?? [];
        seen.push(m.deliveryAttempt);
        attempts.set(key, seen);
        if (seen.length > 1) return 'ack';
        if (key === 'throws') throw new Error('handler failed');
        return 'nack';
      });
      await q.publisher.publish(Buffer.from('a'), { k: 'nacked' });
      await q.publisher.publish(Buffer.from('b'), { k: 'throws' });
      await eventually(
        () => (attempts.get('nacked')?.length ?? 0) >= 2 && (attempts.get('throws')?.length ?? 0) >= 2,
        30_000,
        'redelivery',
      );
      const nacked = attempts.get('nacked')!;
      assert.ok(nacked[1]! > nacked[0]!, `delivery attempts should grow: ${nacked.join(',')}`);
      await sub.stop();
    });

    test('an acked message is not delivered again', async () => {
      const q = await open();
      const seen: string[] = [];
      const sub = q.subscriber(flow);
      await sub.start(async (m) => {
        seen.push(m.attributes.k ?? '');
        return 'ack';
      });
      await q.publisher.publish(Buffer.from('1'), { k: 'first' });
      await eventually(() => seen.includes('first'));
      await q.publisher.publish(Buffer.from('2'), { k: 'second' });
      await eventually(() => seen.includes('second'));
      // A message published after the ack was delivered; the acked one must not have come back.
      assert.deepEqual(
        seen.filter((k) => k === 'first'),
        ['first'],
      );
      await sub.stop();
    });

    test('never has more messages in flight than flow control allows', async () => {
      const q = await open();
      let inFlight = 0;
      let peak = 0;
      let done = 0;
      const handler: MessageHandler = async () => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, 20));
        inFlight--;
        done++;
        return 'ack';
      };
      const sub = q.subscriber({ maxMessages: 3, maxBytes: 10 * 1024 * 1024 });
      await sub.start(handler);
      await Promise.all(
        Array.from({ length: 20 }, (_, i) => q.publisher.publish(Buffer.from(String(i)), {})),
      );
      await eventually(() => done >= 20, 30_000, 'all 20 handled');
      assert.ok(peak <= 3, `peak in flight ${peak} > 3`);
      assert.ok(peak >= 1);
      await sub.stop();
    });

    test('stop() waits for handlers in flight; what was not handled is delivered to the next subscriber', async () => {
      const q = await open();
      let finished = 0;
      const first = q.subscriber({ maxMessages: 1, maxBytes: 1024 * 1024 });
      let release!: () => void;
      const gate = new Promise<void>((r) => {
        release = r;
      });
      let started = 0;
      await first.start(async () => {
        started++;
        await gate;
        finished++;
        return 'ack';
      });
      await q.publisher.publish(Buffer.from('x'), { k: 'x' });
      await eventually(() => started === 1, 15_000, 'first delivery');
      const stopping = first.stop();
      await q.publisher.publish(Buffer.from('y'), { k: 'y' });
      release();
      await stopping;
      assert.equal(finished, 1, 'stop() returned before its in-flight handler finished');
      const second = q.subscriber(flow);
      const later: string[] = [];
      await second.start(async (m) => {
        later.push(m.attributes.k ?? '');
        return 'ack';
      });
      await eventually(
        () => later.includes('y'),
        30_000,
        'message published during stop reaching the next subscriber',
      );
      await second.stop();
    });
  });
}
