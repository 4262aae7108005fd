import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { eventually } from '@eventkit/shared/contracts';
import { DEAD_LETTER_STREAM, decodeEnvelope } from '@eventkit/shared/envelope';
import { type Logger, silentLogger } from '@eventkit/shared/logging';
import { MemoryQueue } from '@eventkit/shared/memory';
import type { QueuePublisher } from '@eventkit/shared/ports';
import { describe, test } from 'vitest';
import type { WalRowInput } from '../wal/store.ts';
import { WriteAheadLog } from '../wal/wal.ts';
import { groupIntoEnvelopes, REFUSED_PAYLOAD_BYTES, WalRelay } from './wal-relay.ts';

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

describe('WalRelay', () => {
  test('publishes pending rows as per-stream envelopes and marks them published', async () => {
    const wal = await WriteAheadLog.open(await tempDb());
    await wal.append([
      ...Array.from({ length: 250 }, (_, i) => row(i)),
      row(1000, 'users'),
      row(1001, 'users'),
    ]);
    const queue = new FlakyQueue(0);
    const envelopes = await collect(queue.inner);
    const pub = new WalRelay({ wal, queue, batchSize: 100, ...fast });
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
    const pub = new WalRelay({ wal, queue, batchSize: 100, ...fast });
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
    const pub = new WalRelay({ wal, queue, batchSize: 100, ...fast });
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

  test("publish_failed: a warning on an envelope's 1st failure and every 10th, debug between; the metric counts every one", async () => {
    const wal = await WriteAheadLog.open(await tempDb());
    await wal.append([row(1)]);
    const queue = new FlakyQueue(25);
    const lines: { level: string; attempt: number }[] = [];
    const capture = (level: string) => (o: { attempt?: number }, msg: string) => {
      if (msg === 'publish_failed') lines.push({ level, attempt: o.attempt ?? 0 });
    };
    const logger = { ...silentLogger(), warn: capture('warn'), debug: capture('debug') } as unknown as Logger;
    const pub = new WalRelay({ wal, queue, batchSize: 100, ...fast, maxBackoffMs: 2, logger });
    pub.start();
    await eventually(() => wal.pendingCount === 0, 10_000, 'published after 25 failures');
    await pub.stop();
    assert.equal(lines.length, 25, 'one line per failed attempt');
    assert.deepEqual(
      lines.filter((l) => l.level === 'warn').map((l) => l.attempt),
      [1, 10, 20],
    );
    await wal.close();
  });

  test('a TypeError thrown by the client is retried like any failure (rows are never stranded)', async () => {
    const wal = await WriteAheadLog.open(await tempDb());
    await wal.append([row(1), row(2)]);
    const queue = new FlakyQueue(2);
    queue.failWith = () => new TypeError("Cannot read properties of undefined (reading 'publish')");
    await collect(queue.inner);
    const pub = new WalRelay({ wal, queue, batchSize: 100, ...fast });
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
    const queue = new FlakyQueue(1_000_000);
    const pub = new WalRelay({ wal, queue, batchSize: 100, ...fast });
    // A publish started after the deadline would fail with no one to handle it
    // (an unhandled rejection ends a Node process): watch for one.
    const escaped: unknown[] = [];
    const onEscape = (err: unknown) => escaped.push(err);
    process.on('unhandledRejection', onEscape);
    try {
      pub.start();
      const deadline = Date.now() + 300;
      const { remaining } = await pub.drain(deadline);
      // The outcome, not the clock: drain() returned (the test timeout is the
      // bound), the queue was tried and refused, and every row is still pending.
      assert.ok(queue.attempts > 0, 'the publisher tried the queue before the deadline');
      assert.equal(remaining, 3);
      const attempts = queue.attempts;
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(queue.attempts, attempts, 'no publish is started after drain() returned');
      assert.deepEqual(escaped, []);
    } finally {
      process.off('unhandledRejection', onEscape);
    }
    await wal.close();
    const reopened = await WriteAheadLog.open(file);
    assert.equal(reopened.pendingCount, 3);
    await reopened.close();
  });

  test('an event the queue refuses for good (INVALID_ARGUMENT) is split out and dead-lettered; the rest publish; nothing spins or stays pending', async () => {
    const wal = await WriteAheadLog.open(await tempDb());
    await wal.append([
      row(1),
      {
        ...row(2),
        payload: JSON.stringify({ type: 'track', messageId: 'm-2', event: 'E', userId: 'u', huge: true }),
      },
      row(3),
    ]);
    const queue = new FlakyQueue(0);
    const refusals: number[] = [];
    const publish = queue.publish.bind(queue);
    queue.publish = async (data, attributes) => {
      const envelope = await decodeEnvelope(data);
      if (envelope.events.some((e) => (e.event as { huge?: boolean }).huge)) {
        refusals.push(envelope.events.length);
        throw Object.assign(new Error('3 INVALID_ARGUMENT: Request payload size exceeds the limit'), {
          code: 3,
        });
      }
      return publish(data, attributes);
    };
    const envelopes = await collect(queue.inner);
    const pub = new WalRelay({ wal, queue, batchSize: 100, ...fast });
    pub.start();
    await eventually(() => wal.pendingCount === 0, 10_000, 'every row published or dead-lettered');
    await pub.stop();
    assert.deepEqual(
      refusals,
      [3, 2, 1],
      'halved until the one refused event is alone, each refusal tried once',
    );
    const published = envelopes
      .filter((e) => e.stream === 'events')
      .flatMap((e) => e.events.map((x) => x.event.messageId));
    assert.deepEqual(published.sort(), ['m-1', 'm-3']);
    await eventually(() => envelopes.length === 3, 10_000, 'every envelope consumed');
    const letters = envelopes.filter((e) => e.stream === DEAD_LETTER_STREAM).flatMap((e) => e.deadLetters);
    assert.equal(letters.length, 1);
    assert.equal(letters[0]?.messageId, 'm-2');
    assert.equal(letters[0]?.reasons[0]?.code, 'publish_refused');
    assert.match(String(letters[0]?.reasons[0]?.message), /INVALID_ARGUMENT/);
    assert.deepEqual(
      (letters[0]?.payload as { huge?: boolean } | undefined)?.huge,
      true,
      'the event is kept whole in its letter',
    );
    assert.equal(wal.pendingBytes, 0);
    await wal.close();
  });

  test("an event too large for any envelope (limits raised past Pub/Sub's 10 MB) is dead-lettered with its first bytes", async () => {
    const wal = await WriteAheadLog.open(await tempDb());
    // 14 MB of base64 text: zstd cannot bring it under the 9.5 MB envelope limit.
    const blob = randomBytes(10_500_000).toString('base64');
    await wal.append([
      row(1),
      {
        ...row(2),
        payload: JSON.stringify({ type: 'track', messageId: 'm-2', event: 'E', userId: 'u', blob }),
      },
    ]);
    const queue = new FlakyQueue(0);
    const envelopes = await collect(queue.inner);
    const pub = new WalRelay({ wal, queue, batchSize: 100, ...fast });
    pub.start();
    await eventually(() => wal.pendingCount === 0, 20_000, 'every row published or dead-lettered');
    await pub.stop();
    const letters = () =>
      envelopes.filter((e) => e.stream === DEAD_LETTER_STREAM).flatMap((e) => e.deadLetters);
    await eventually(
      () => letters().length === 1 && envelopes.length === 2,
      10_000,
      'both envelopes consumed',
    );
    assert.equal(
      letters()[0]?.messageId,
      `wal-row-2`,
      'too large to parse into the letter: named by its WAL row',
    );
    assert.match(String(letters()[0]?.reasons[0]?.message), /over the 9500000-byte limit/);
    assert.equal(Buffer.from(String(letters()[0]?.raw), 'base64').length, REFUSED_PAYLOAD_BYTES);
    assert.deepEqual(
      envelopes.filter((e) => e.stream === 'events').flatMap((e) => e.events.map((x) => x.event.messageId)),
      ['m-1'],
    );
    await wal.close();
  });

  test('a failing markPublished is retried: the rows do not stay pending behind the cursor until a restart', async () => {
    const wal = await WriteAheadLog.open(await tempDb());
    await wal.append([row(1), row(2), row(3)]);
    const mark = wal.markPublished.bind(wal);
    let failures = 2;
    wal.markPublished = async (ids) => {
      if (failures-- > 0) throw new Error('disk I/O error');
      return mark(ids);
    };
    const queue = new FlakyQueue(0);
    const envelopes = await collect(queue.inner);
    const pub = new WalRelay({ wal, queue, batchSize: 100, ...fast });
    pub.start();
    await eventually(() => wal.pendingCount === 0, 10_000, 'rows marked once the WAL works again');
    await pub.stop();
    assert.equal(failures, -1, 'two failed marks, then one that worked');
    assert.equal((await wal.stats()).pendingCount, 0, 'the file agrees with the gauge');
    assert.equal(
      envelopes.flatMap((e) => e.events).length,
      3,
      'published once: the mark is retried, not the publish',
    );
    await wal.close();
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
    const pub = new WalRelay({ wal, queue, batchSize: 100, ...fast });
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
