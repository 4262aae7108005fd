// The worker core against in-memory ports: what a user of the pipeline would
// notice (acks only after durable writes, nothing lost, invalid events kept
// with reasons, bounded memory, prompt flushes and drains).
import assert from 'node:assert/strict';
import { eventually } from '@eventkit/shared/contracts';
import { silentLogger } from '@eventkit/shared/logging';
import { MemoryDeadLetterStore, MemoryEventSink, MemoryQueue } from '@eventkit/shared/memory';
import { createMetricsRegistry } from '@eventkit/shared/metrics';
import type { EventBatch, WriteReceipt } from '@eventkit/shared/ports';
import { describe, test } from 'vitest';
import { delay, envelopeOf, events, ManualSubscriber, TEST_SETTINGS } from '../testing/helpers.ts';
import { EventsRejectedError } from './errors.ts';
import type { WorkerSettings } from './settings.ts';
import { createWorker, type Worker } from './worker.ts';

function setup(settings: Partial<WorkerSettings> = {}, sink = new MemoryEventSink()) {
  const subscriber = new ManualSubscriber();
  const deadLetters = new MemoryDeadLetterStore();
  const registry = createMetricsRegistry({}, { processMetrics: false });
  const worker = createWorker({
    subscriber,
    sink,
    deadLetters,
    logger: silentLogger(),
    metrics: registry,
    settings: { ...TEST_SETTINGS, ...settings },
  });
  return { subscriber, sink, deadLetters, registry, worker };
}

async function metric(registry: ReturnType<typeof createMetricsRegistry>, name: string, labels = '') {
  const text = await registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line ? Number(line.split(' ').pop()) : 0;
}

/** A sink that holds every write until released. */
class GatedSink extends MemoryEventSink {
  #open = false;
  #waiters: (() => void)[] = [];
  writesStarted = 0;
  override async write(batch: EventBatch): Promise<WriteReceipt> {
    this.writesStarted++;
    while (!this.#open) await new Promise<void>((r) => this.#waiters.push(r));
    return super.write(batch);
  }
  open(): void {
    this.#open = true;
    for (const w of this.#waiters.splice(0)) w();
  }
}

const keys = (sink: MemoryEventSink) => sink.events().map((e) => `${e.source}:${e.event.messageId}`);

describe('worker core', () => {
  let worker: Worker | undefined;

  test('acks a message only once all its events, across partitions, are written', async () => {
    const sink = new GatedSink();
    const t = setup({ batchSize: 5, partitions: 4 }, sink);
    worker = t.worker;
    await worker.start();
    const env = await envelopeOf(events(40));
    let settled = false;
    const disposition = t.subscriber.deliver(env.data, env.attributes).then((d) => {
      settled = true;
      return d;
    });
    await eventually(() => sink.writesStarted > 0, 2000, 'a flush');
    await delay(20);
    assert.equal(settled, false, 'acked before the sink wrote anything');
    sink.open();
    assert.equal(await disposition, 'ack');
    assert.equal(new Set(keys(sink)).size, 40);
    assert.ok(new Set(sink.batches.map((b) => b.partition)).size > 1, 'events spread over partitions');
    await worker.stop();
  });

  test('flushes on batch size, on bytes and on the interval', async () => {
    const bySize = setup({ batchSize: 10, partitions: 1, flushIntervalMs: 60_000 });
    await bySize.worker.start();
    const first = await envelopeOf(events(6, 0));
    const second = await envelopeOf(events(6, 100));
    const firstAck = bySize.subscriber.deliver(first.data, first.attributes);
    await delay(30);
    assert.equal(
      bySize.sink.events().length,
      0,
      'below the batch size nothing is written before the interval',
    );
    const secondAck = bySize.subscriber.deliver(second.data, second.attributes);
    assert.equal(await firstAck, 'ack');
    assert.equal(bySize.sink.batches[0]?.events.length, 10, 'the tenth event triggers the flush');
    assert.equal(await metric(bySize.registry, 'eventkit_worker_flushes_total', 'trigger="size"'), 1);
    await bySize.worker.stop(); // the remaining two go out with the shutdown flush
    assert.equal(await secondAck, 'ack');
    assert.equal(bySize.sink.events().length, 12);

    const byBytes = setup({ batchBytes: 2048, partitions: 1 });
    await byBytes.worker.start();
    const env = await envelopeOf(events(12));
    void byBytes.subscriber.deliver(env.data, env.attributes);
    await eventually(() => byBytes.sink.batches.length >= 2, 2000, 'byte flushes');
    assert.ok(byBytes.sink.batches.every((b) => b.events.length < 12));
    assert.equal(
      (await metric(byBytes.registry, 'eventkit_worker_flushes_total', 'trigger="bytes"')) > 0,
      true,
    );
    await byBytes.worker.stop();

    const byTime = setup({ flushIntervalMs: 50 });
    await byTime.worker.start();
    const t0 = Date.now();
    const env2 = await envelopeOf(events(3));
    assert.equal(await byTime.subscriber.deliver(env2.data, env2.attributes), 'ack');
    const waited = Date.now() - t0;
    assert.ok(waited >= 40 && waited < 2000, `interval flush after ${waited} ms`);
    assert.equal(
      (await metric(byTime.registry, 'eventkit_worker_flushes_total', 'trigger="interval"')) >= 1,
      true,
    );
    await byTime.worker.stop();
  });

  test('flushes at once when flow control lets no more messages in (pressure)', async () => {
    // One message in flight is all the subscriber may deliver: waiting for the interval would only add latency.
    const t = setup({ flowControl: { maxMessages: 1, maxBytes: 1 << 30 }, flushIntervalMs: 60_000 });
    await t.worker.start();
    const env = await envelopeOf(events(3));
    const t0 = Date.now();
    assert.equal(await t.subscriber.deliver(env.data, env.attributes), 'ack');
    assert.ok(Date.now() - t0 < 2000, `acked after ${Date.now() - t0} ms`);
    assert.ok((await metric(t.registry, 'eventkit_worker_flushes_total', 'trigger="pressure"')) >= 1);
    await t.worker.stop();
  });

  test('applies backpressure at the per-partition cap instead of buffering more', async () => {
    const sink = new GatedSink();
    const t = setup({ partitions: 1, batchSize: 5, bufferMaxSize: 10 }, sink);
    await t.worker.start();
    const results: Promise<string>[] = [];
    for (let i = 0; i < 10; i++) {
      const env = await envelopeOf(events(10, i * 10));
      results.push(t.subscriber.deliver(env.data, env.attributes));
    }
    await eventually(() => t.worker.stats().bufferedEvents === 10, 2000, 'a full buffer');
    await delay(30);
    const stats = t.worker.stats();
    assert.equal(stats.bufferedEvents, 10, 'buffer stays at its cap');
    assert.ok((await metric(t.registry, 'eventkit_worker_backpressure_waits_total')) > 0);
    sink.open();
    assert.deepEqual(await Promise.all(results), Array(10).fill('ack'));
    assert.equal(new Set(keys(sink)).size, 100);
    await t.worker.stop();
  });

  test('a sink failing for a while then recovering: nothing lost, nothing dead-lettered', async () => {
    const t = setup({ batchSize: 10 });
    t.sink.faults.failNext(6, 'bucket unavailable');
    await t.worker.start();
    const env = await envelopeOf(events(30));
    assert.equal(await t.subscriber.deliver(env.data, env.attributes), 'ack');
    await t.worker.stop();
    assert.equal(new Set(keys(t.sink)).size, 30);
    assert.equal(t.deadLetters.letters.length, 0);
    assert.ok((await metric(t.registry, 'eventkit_worker_write_retries_total', 'target="events"')) >= 6);
  });

  test('invalid events go to the dead-letter store with their reasons; the valid ones are written', async () => {
    const t = setup();
    await t.worker.start();
    const list = events(4);
    const noName = { ...list[1]!, event: { ...list[1]!.event, event: undefined } };
    const noId = { ...list[2]!, event: { ...list[2]!.event, messageId: undefined } } as never;
    const env = await envelopeOf([list[0]!, noName, noId, list[3]!]);
    assert.equal(await t.subscriber.deliver(env.data, env.attributes), 'ack');
    await t.worker.stop();
    assert.deepEqual(keys(t.sink).sort(), ['web:msg-0', 'web:msg-3']);
    const letters = t.deadLetters.letters;
    assert.equal(letters.length, 2);
    assert.ok(letters.every((l) => l.errorType === 'validation' && l.stream === 'events' && l.requestId));
    const codes = letters.flatMap((l) => l.reasons.map((r) => r.code));
    assert.ok(codes.includes('missing_event_name'), codes.join());
    assert.ok(codes.includes('missing_message_id'), codes.join());
    const payload = letters.find((l) => l.messageId === 'msg-1')?.payload as { userId?: string } | undefined;
    assert.equal(payload?.userId, 'user-1', 'the original event is kept');
  });

  test('an undecodable message and a poison message go whole to the dead-letter store and are acked', async () => {
    const t = setup({ maxDeliveryAttempts: 3 });
    await t.worker.start();
    const garbage = Buffer.from('EK\u0009\u0000not a real envelope');
    assert.equal(await t.subscriber.deliver(garbage, { stream: 'events', request_id: 'r-1' }), 'ack');
    const env = await envelopeOf(events(5));
    assert.equal(await t.subscriber.deliver(env.data, env.attributes, 4), 'ack');
    await t.worker.stop();
    assert.equal(t.sink.events().length, 0, 'the poison message was not processed again');
    const [undecodable, poison] = t.deadLetters.letters;
    assert.equal(undecodable?.errorType, 'processing');
    assert.equal(undecodable?.reasons[0]?.code, 'envelope_unknown_version');
    assert.equal(undecodable?.requestId, 'r-1');
    assert.deepEqual(Buffer.from(undecodable?.raw ?? '', 'base64'), garbage);
    assert.equal(poison?.reasons[0]?.code, 'poison_message');
    assert.deepEqual(Buffer.from(poison?.raw ?? '', 'base64'), env.data);
  });

  test('events a sink rejects for good are dead-lettered as processing errors, the rest written', async () => {
    class PickySink extends MemoryEventSink {
      override async write(batch: EventBatch): Promise<WriteReceipt> {
        const bad = batch.events.flatMap((e, index) =>
          e.event.messageId === 'msg-2' ? [{ index, reason: { code: 'unstorable', message: 'no' } }] : [],
        );
        if (bad.length > 0) throw new EventsRejectedError(bad);
        return super.write(batch);
      }
    }
    const t = setup({ partitions: 1 }, new PickySink());
    await t.worker.start();
    const env = await envelopeOf(events(4));
    const disposition = t.subscriber.deliver(env.data, env.attributes);
    await t.worker.stop();
    assert.equal(await disposition, 'ack');
    assert.deepEqual(keys(t.sink).sort(), ['web:msg-0', 'web:msg-1', 'web:msg-3']);
    assert.equal(t.deadLetters.letters[0]?.errorType, 'processing');
    assert.equal(t.deadLetters.letters[0]?.messageId, 'msg-2');
  });

  test('stop() flushes every partition at once and acks what was written', async () => {
    const t = setup({ flushIntervalMs: 60_000 });
    await t.worker.start();
    const env = await envelopeOf(events(20));
    const disposition = t.subscriber.deliver(env.data, env.attributes);
    await delay(10);
    assert.equal(t.sink.events().length, 0);
    const result = await t.worker.stop();
    assert.equal(result.drained, true);
    assert.ok(result.durationMs < 1000, `drain took ${result.durationMs} ms`);
    assert.equal(await disposition, 'ack');
    assert.equal(t.sink.events().length, 20);
  });

  test('stop() gives up at the shutdown timeout and nacks what it could not write', async () => {
    const t = setup({ shutdownTimeoutMs: 200 });
    t.sink.faults.failNext(1_000_000, 'down for good');
    await t.worker.start();
    const env = await envelopeOf(events(5));
    const disposition = t.subscriber.deliver(env.data, env.attributes);
    const t0 = Date.now();
    const result = await t.worker.stop();
    assert.equal(result.drained, false);
    assert.ok(Date.now() - t0 < 1500, `stop took ${Date.now() - t0} ms`);
    assert.equal(await disposition, 'nack');
    assert.equal(t.deadLetters.letters.length, 0, 'a sink outage never dead-letters events');
  });

  test('messages delivered together are taken one per turn of the event loop, in order', async () => {
    // A streaming pull hands over hundreds of messages at once; their intake
    // back to back held the loop (and with it acks and lease extensions) for
    // up to a second.
    const t = setup({ batchSize: 1000, partitions: 2, flushIntervalMs: 60_000 });
    worker = t.worker;
    await worker.start();
    const envelopes = await Promise.all(Array.from({ length: 20 }, (_, m) => envelopeOf(events(10, m * 10))));
    const settled = envelopes.map((env) => t.subscriber.deliver(env.data, env.attributes));
    const received: number[] = [];
    for (let turn = 0; turn < 5; turn++) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      received.push(worker.stats().events.received);
    }
    // At most one more message (10 events) per turn; before, all 20 went in the first turns.
    for (const [turn, count] of received.entries()) {
      assert.ok(count <= (turn + 1) * 10, `after ${turn + 1} turns ${count} events were taken: ${received}`);
    }
    await eventually(() => worker?.stats().events.received === 200, 2000, 'every message taken');
    await worker.stop();
    assert.deepEqual(await Promise.all(settled), Array(20).fill('ack'));
    assert.equal(new Set(keys(t.sink)).size, 200);
  });

  test('runs in-process on a MemoryQueue that resolves publishes on ack (the local mode)', async () => {
    const queue = new MemoryQueue({
      resolvePublishOn: 'ack',
      flowControl: { maxMessages: 8, maxBytes: 1 << 26 },
    });
    const sink = new MemoryEventSink();
    const w = createWorker({
      subscriber: queue.subscriber({ maxMessages: 8, maxBytes: 1 << 26 }),
      sink,
      deadLetters: new MemoryDeadLetterStore(),
      logger: silentLogger(),
      metrics: createMetricsRegistry({}, { processMetrics: false }),
      settings: { ...TEST_SETTINGS, flowControl: { maxMessages: 8, maxBytes: 1 << 26 } },
    });
    await w.start();
    const publishes = [];
    for (let i = 0; i < 20; i++) {
      const env = await envelopeOf(events(10, i * 10));
      publishes.push(queue.publish(env.data, env.attributes));
    }
    await Promise.all(publishes);
    assert.equal(new Set(keys(sink)).size, 200, 'every publish resolved only after its events were written');
    assert.equal(w.stats().messages.acked, 20);
    await w.stop();
    await queue.close();
  });
});
