import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import {
  DEAD_LETTER_STREAM,
  decodeEnvelope,
  MemoryQueue,
  type QueuePublisher,
  silentLogger,
} from '@eventkit/shared';
import { eventually } from '@eventkit/shared/contracts';
import type { WalRowInput } from '../wal/store.ts';
import { WriteAheadLog } from '../wal/wal.ts';
import { groupIntoEnvelopes, Publisher } from './publisher.ts';

const tempDb = async () => path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'eventkit-pub-')), 'wal.db');

const row = (i: number, stream = 'events'): WalRowInput => ({
  stream,
  source: 'web',
  requestId: `req-${Math.floor(i / 10)}`,
  type: 'track',
  payload: JSON.stringify({ type: 'track', messageId: `m-${i}`, event: 'E', userId: `u${i}` }),
  receivedAt: Date.now(),
});

/** A queue that fails its first `failures` publishes, then behaves like a memory queue. */
class FlakyQueue implements QueuePublisher {
  readonly inner = new MemoryQueue({ capacity: 1_000_000 });
  failures: number;
  attempts = 0;
  failWith = (): Error => new Error('UNAVAILABLE: injected');
  constructor(failures: number) {
    this.failures = failures;
  }
  async publish(data: Buffer, attributes: Record<string, string>): Promise<string> {
    this.attempts++;
    if (this.failures > 0) {
      this.failures--;
      throw this.failWith();
    }
    return this.inner.publish(data, attributes);
  }
  async close(): Promise<void> {}
}

async function collect(queue: MemoryQueue) {
  const envelopes: Awaited<ReturnType<typeof decodeEnvelope>>[] = [];
  await queue.subscriber({ maxMessages: 100, maxBytes: 1e9 }).start(async (m) => {
    envelopes.push(await decodeEnvelope(m.data));
    return 'ack';
  });
  return envelopes;
}

const fast = { pollIntervalMs: 10, minBackoffMs: 5, maxBackoffMs: 20, logger: silentLogger() };

describe('Publisher', () => {
  test('publishes pending rows as per-stream envelopes and marks them published', async () => {
    const wal = await WriteAheadLog.open(await tempDb());
    await wal.append([
      ...Array.from({ length: 250 }, (_, i) => row(i)),
      row(1000, 'users'),
      row(1001, 'users'),
    ]);
    const queue = new FlakyQueue(0);
    const envelopes = await collect(queue.inner);
    const pub = new Publisher({ wal, queue, batchSize: 100, ...fast });
    pub.start();
    await eventually(() => wal.pendingCount === 0, 10_000, 'WAL drained');
    await pub.stop();
    await eventually(() => envelopes.reduce((n, e) => n + e.events.length, 0) === 252);
    assert.ok(envelopes.every((e) => e.events.length <= 100));
    assert.ok(envelopes.every((e) => e.events.every((x) => x.stream === e.stream)));
    const ids = envelopes.flatMap((e) => e.events.map((x) => x.event.messageId)).sort();
    assert.equal(new Set(ids).size, 252, 'each event exactly once');
    assert.equal((await wal.stats()).publishedCount, 252);
    await wal.close();
  });

  test('rows left pending by a previous run are published on start', async () => {
    const file = await tempDb();
    const first = await WriteAheadLog.open(file);
    await first.append([row(1), row(2)]);
    await first.close();
    const wal = await WriteAheadLog.open(file);
    const queue = new FlakyQueue(0);
    const envelopes = await collect(queue.inner);
    const pub = new Publisher({ wal, queue, batchSize: 100, ...fast });
    pub.start();
    await eventually(() => wal.pendingCount === 0);
    await pub.stop();
    assert.deepEqual(
      envelopes.flatMap((e) => e.events.map((x) => x.event.messageId)),
      ['m-1', 'm-2'],
    );
    await wal.close();
  });

  test('a failing queue is retried with backoff until it works: nothing lost, marked only after success', async () => {
    const wal = await WriteAheadLog.open(await tempDb());
    await wal.append(Array.from({ length: 10 }, (_, i) => row(i)));
    const queue = new FlakyQueue(5);
    const envelopes = await collect(queue.inner);
    const pub = new Publisher({ wal, queue, batchSize: 100, ...fast });
    pub.start();
    await eventually(() => queue.attempts >= 3, 5000);
    assert.equal(wal.pendingCount, 10, 'nothing is marked published while the queue fails');
    await eventually(() => wal.pendingCount === 0, 10_000, 'published after recovery');
    await pub.stop();
    assert.equal(queue.attempts, 6);
    assert.equal(
      envelopes.reduce((n, e) => n + e.events.length, 0),
      10,
    );
    await wal.close();
  });

  test('a TypeError thrown by the client is retried like any failure (rows are never stranded)', async () => {
    const wal = await WriteAheadLog.open(await tempDb());
    await wal.append([row(1), row(2)]);
    const queue = new FlakyQueue(2);
    queue.failWith = () => new TypeError("Cannot read properties of undefined (reading 'publish')");
    await collect(queue.inner);
    const pub = new Publisher({ wal, queue, batchSize: 100, ...fast });
    pub.start();
    await eventually(() => wal.pendingCount === 0, 10_000, 'published after the TypeErrors');
    await pub.stop();
    assert.equal(queue.attempts, 3);
    await wal.close();
  });

  test('drain() stops at its deadline when the queue is down, leaving the rows pending for the next start', async () => {
    const file = await tempDb();
    const wal = await WriteAheadLog.open(file);
    await wal.append([row(1), row(2), row(3)]);
    const pub = new Publisher({ wal, queue: new FlakyQueue(1_000_000), batchSize: 100, ...fast });
    pub.start();
    const started = Date.now();
    const { remaining } = await pub.drain(Date.now() + 300);
    assert.ok(Date.now() - started < 2000, 'drain returns near its deadline');
    assert.equal(remaining, 3);
    await wal.close();
    const reopened = await WriteAheadLog.open(file);
    assert.equal(reopened.pendingCount, 3);
    await reopened.close();
  });

  test('dead letters travel on their own stream', async () => {
    const wal = await WriteAheadLog.open(await tempDb());
    const letter = {
      id: 'dl1',
      errorType: 'validation',
      reasons: [{ code: 'missing_type', message: 'm' }],
      failedAt: new Date().toISOString(),
    };
    await wal.append([
      row(1),
      { ...row(2), stream: DEAD_LETTER_STREAM, type: 'dead_letter', payload: JSON.stringify(letter) },
    ]);
    const queue = new FlakyQueue(0);
    const envelopes = await collect(queue.inner);
    const pub = new Publisher({ wal, queue, batchSize: 100, ...fast });
    pub.start();
    await eventually(() => envelopes.length === 2);
    await pub.stop();
    const dl = envelopes.find((e) => e.stream === DEAD_LETTER_STREAM);
    assert.deepEqual(dl?.deadLetters, [letter]);
    await wal.close();
  });
});

describe('groupIntoEnvelopes', () => {
  const r = (id: number, stream: string, bytes: number) => ({
    id,
    stream,
    source: 's',
    requestId: 'r',
    type: 'track',
    payload: 'x'.repeat(bytes),
    bytes,
    receivedAt: 0,
  });
  test('splits by stream, count and bytes, keeping id order within a stream', () => {
    const rows = [r(1, 'a', 10), r(2, 'b', 10), r(3, 'a', 10), r(4, 'a', 10), r(5, 'a', 50), r(6, 'a', 1)];
    const envs = groupIntoEnvelopes(rows, 2, 60);
    assert.deepEqual(
      envs.map((e) => [e.stream, e.rows.map((x) => x.id)]),
      [
        ['a', [1, 3]],
        ['a', [4, 5]],
        ['a', [6]],
        ['b', [2]],
      ],
    );
  });
});
