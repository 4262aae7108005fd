import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { eventually } from '../../contracts/index.ts';
import { MemoryQueue, QueueClosedError } from './memory-queue.ts';

const flow = { maxMessages: 10, maxBytes: 1024 * 1024 };
const settledState = async (p: Promise<unknown>) =>
  Promise.race([
    p.then(
      () => 'resolved',
      () => 'rejected',
    ),
    new Promise((r) => setTimeout(() => r('pending'), 30)),
  ]);

describe('MemoryQueue in local mode (publish resolves on ack)', () => {
  test('publish() stays pending until a handler acks — not on delivery, not on nack', async () => {
    const q = new MemoryQueue({ resolvePublishOn: 'ack', minBackoffMs: 5 });
    const published = q.publish(Buffer.from('e'), {});
    assert.equal(await settledState(published), 'pending', 'no subscriber yet');
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    await q.subscriber(flow).start(async () => {
      calls++;
      if (calls === 1) return 'nack';
      await gate;
      return 'ack';
    });
    await eventually(() => calls === 2, 5000, 'redelivery after nack');
    assert.equal(await settledState(published), 'pending', 'delivered but not yet acked');
    release();
    assert.equal(typeof (await published), 'string');
    await q.close();
  });

  test('close() rejects publishes still waiting for an ack, so the sender keeps its data', async () => {
    const q = new MemoryQueue({ resolvePublishOn: 'ack' });
    const published = q.publish(Buffer.from('e'), {});
    await q.close();
    await assert.rejects(published, QueueClosedError);
    await assert.rejects(q.publish(Buffer.from('f'), {}), QueueClosedError);
  });

  test('is bounded: publish() waits while the queue holds `capacity` messages', async () => {
    const q = new MemoryQueue({ capacity: 2 });
    await q.publish(Buffer.from('1'), {});
    await q.publish(Buffer.from('2'), {});
    const third = q.publish(Buffer.from('3'), {});
    assert.equal(await settledState(third), 'pending');
    assert.equal(q.stats().held, 2);
    const seen: string[] = [];
    await q.subscriber(flow).start(async (m) => {
      seen.push(m.data.toString());
      return 'ack';
    });
    await third;
    await eventually(() => seen.length === 3);
    assert.deepEqual(seen, ['1', '2', '3']);
    await q.close();
  });

  test('lets one oversized message through rather than stalling', async () => {
    const q = new MemoryQueue();
    const seen: number[] = [];
    await q.subscriber({ maxMessages: 10, maxBytes: 10 }).start(async (m) => {
      seen.push(m.data.length);
      return 'ack';
    });
    await q.publish(Buffer.alloc(100), {});
    await eventually(() => seen.length === 1);
    await q.close();
  });
});
