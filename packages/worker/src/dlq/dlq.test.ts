// dlq list and dlq replay over in-memory ports, end to end through the worker core.
import assert from 'node:assert/strict';
import { sampleDeadLetter } from '@eventkit/shared/contracts';
import { decodeEnvelope } from '@eventkit/shared/envelope';
import { deadLetterId } from '@eventkit/shared/event';
import { silentLogger } from '@eventkit/shared/logging';
import { MemoryDeadLetterStore, MemoryEventSink, MemoryQueue } from '@eventkit/shared/memory';
import { createMetricsRegistry } from '@eventkit/shared/metrics';
import { describe, test } from 'vitest';
import { createWorker } from '../core/worker.ts';
import type { ReplayLedger } from '../sinks/replay-ledger.ts';
import { envelopeOf, events, TEST_SETTINGS } from '../testing/helpers.ts';
import { formatSummary, summarize } from './list.ts';
import { replayDeadLetters } from './replay.ts';
import { parseSince } from './since.ts';

class MemoryLedger implements ReplayLedger {
  readonly ids = new Set<string>();
  async replayed() {
    return new Set(this.ids);
  }
  async recordReplayed(ids: readonly string[]) {
    for (const id of ids) this.ids.add(id);
  }
}

async function storeWithLetters() {
  const store = new MemoryDeadLetterStore();
  const valid = events(3);
  const env = await envelopeOf(events(2, 100));
  await store.write([
    // Rejected by an older worker for a reason since fixed: their events are valid now.
    ...valid.map((r, i) =>
      sampleDeadLetter(i, {
        stream: r.stream,
        source: r.source,
        requestId: r.requestId,
        messageId: r.event.messageId,
        payload: r.event,
        reasons: [{ code: 'missing_event_name', message: 'needs "secret-value"', path: 'event' }],
      }),
    ),
    sampleDeadLetter(10, {
      errorType: 'processing',
      reasons: [{ code: 'poison_message', message: 'delivered 6 times' }],
      payload: undefined,
      raw: env.data.toString('base64'),
    }),
    sampleDeadLetter(11, {
      errorType: 'processing',
      reasons: [{ code: 'envelope_corrupt', message: 'bad' }],
      payload: undefined,
      raw: Buffer.from('junk').toString('base64'),
    }),
  ]);
  for (const l of store.letters) if (l.payload === undefined) delete l.payload;
  return store;
}

describe('dlq list', () => {
  test('counts by type, reason code and field, stream and source; never payload values or messages', async () => {
    const store = await storeWithLetters();
    const summary = await summarize(store.scan());
    assert.equal(summary.total, 5);
    assert.deepEqual(summary.byType, { validation: 3, processing: 2 });
    assert.deepEqual(summary.reasons[0], {
      reason: 'missing_event_name@event',
      errorType: 'validation',
      count: 3,
    });
    assert.deepEqual(summary.replayable, { events: 3, rawMessages: 2, neither: 0 });
    const text = formatSummary(summary);
    assert.match(text, /5 dead letter\(s\)/);
    assert.doesNotMatch(text, /secret-value|user-|Order Completed|EUR/);
    const filtered = await summarize(store.scan({ errorType: 'processing' }));
    assert.equal(filtered.total, 2);
  });

  test('--since takes ISO times and durations', () => {
    const now = new Date('2026-11-27T12:00:00Z');
    assert.equal(parseSince('24h', now).toISOString(), '2026-11-26T12:00:00.000Z');
    assert.equal(parseSince('2026-11-01', now).toISOString(), '2026-11-01T00:00:00.000Z');
    assert.throws(() => parseSince('yesterday', now), /expected an ISO date/);
  });
});

describe('dlq replay', () => {
  test('re-publishes events with their messageId through the normal path; a second replay re-publishes nothing', async () => {
    const store = await storeWithLetters();
    const ledger = new MemoryLedger();
    const queue = new MemoryQueue({ resolvePublishOn: 'ack' });
    const sink = new MemoryEventSink();
    const newLetters = new MemoryDeadLetterStore();
    const worker = createWorker({
      subscriber: queue.subscriber({ maxMessages: 10, maxBytes: 1 << 26 }),
      sink,
      deadLetters: newLetters,
      logger: silentLogger(),
      metrics: createMetricsRegistry({}, { processMetrics: false }),
      settings: TEST_SETTINGS,
    });
    await worker.start();

    const dry = await replayDeadLetters({ store, ledger, dryRun: true });
    assert.deepEqual(
      { replayed: dry.replayed, notReplayable: dry.notReplayable, messages: dry.messagesPublished },
      { replayed: 4, notReplayable: 1, messages: 2 },
    );
    assert.equal(queue.stats().held, 0, 'a dry run publishes nothing');

    const first = await replayDeadLetters({ store, ledger, publisher: queue });
    assert.equal(first.replayed, 4);
    const written = sink
      .events()
      .map((e) => e.event.messageId)
      .sort();
    assert.deepEqual(written, ['msg-0', 'msg-1', 'msg-100', 'msg-101', 'msg-2']);
    assert.equal(newLetters.letters.length, 0);

    const second = await replayDeadLetters({ store, ledger, publisher: queue });
    assert.equal(second.replayed, 0);
    assert.equal(second.alreadyReplayed, 4);
    assert.equal(sink.events().length, 5, 'nothing re-published');

    const again = await replayDeadLetters({ store, ledger, publisher: queue, again: true });
    assert.equal(again.replayed, 4);
    assert.deepEqual(
      [...new Set(sink.events().map((e) => e.event.messageId))].sort(),
      written,
      'a forced replay repeats the same messageIds: the sinks deduplicate them',
    );
    await worker.stop();
    await queue.close();
  });

  test('gateway letters (the client item, no receivedAt): a fixed one is stored with its receivedAt; one still invalid is re-lettered under its own id; a second replay changes nothing', async () => {
    // Letters exactly as the gateway's ingest writes them (packages/gateway/src/ingest/ingest.ts).
    const gatewayLetter = (messageId: string, code: string, payload: Record<string, unknown>) => ({
      id: deadLetterId('validation', 'web', messageId, code),
      errorType: 'validation' as const,
      reasons: [{ code, message: 'refused by the gateway' }],
      failedAt: '2026-11-20T10:00:00.000Z',
      receivedAt: '2026-11-20T10:00:00.000Z',
      stream: 'events',
      source: 'web',
      requestId: 'req-g',
      messageId,
      payload,
    });
    const store = new MemoryDeadLetterStore();
    const fixed = gatewayLetter('g-1', 'event_too_large', {
      type: 'track',
      event: 'Big',
      userId: 'u',
      messageId: 'g-1',
      properties: { blob: 'x'.repeat(2000) },
    });
    const stillInvalid = gatewayLetter('g-2', 'missing_event_name', {
      type: 'track',
      userId: 'u',
      messageId: 'g-2',
    });
    await store.write([fixed, stillInvalid]);
    const ledger = new MemoryLedger();
    const queue = new MemoryQueue({ resolvePublishOn: 'ack' });
    const sink = new MemoryEventSink();
    const newLetters = new MemoryDeadLetterStore();
    const worker = createWorker({
      subscriber: queue.subscriber({ maxMessages: 10, maxBytes: 1 << 26 }),
      sink,
      deadLetters: newLetters,
      logger: silentLogger(),
      metrics: createMetricsRegistry({}, { processMetrics: false }),
      settings: TEST_SETTINGS, // the worker's event limit is above the gateway's that refused g-1
    });
    await worker.start();

    const first = await replayDeadLetters({ store, ledger, publisher: queue });
    assert.equal(first.replayed, 2);
    const stored = sink.events();
    assert.deepEqual(
      stored.map((e) => [e.event.messageId, e.event.receivedAt]),
      [['g-1', '2026-11-20T10:00:00.000Z']],
    );
    assert.deepEqual(
      newLetters.letters.map((l) => [l.id, l.reasons.map((r) => r.code)]),
      [[stillInvalid.id, ['missing_event_name']]],
      'the event still invalid is lettered under the id it already had: the error table dedups it',
    );

    const second = await replayDeadLetters({ store, ledger, publisher: queue });
    assert.deepEqual([second.replayed, second.alreadyReplayed], [0, 2]);
    assert.equal(sink.events().length, 1);
    assert.equal(newLetters.letters.length, 1, 'a second replay adds no letter');
    await worker.stop();
    await queue.close();
  });

  test('an old letter whose event had no messageId gets the same one on every replay', async () => {
    const store = new MemoryDeadLetterStore();
    const [routed] = events(1);
    const { messageId: _dropped, ...withoutId } = routed!.event;
    // A letter from before letters carried the messageId the gateway made for it.
    const letter = sampleDeadLetter(1, { payload: withoutId, source: 'web', stream: 'events' });
    delete letter.messageId;
    await store.write([letter]);
    const published: Buffer[] = [];
    const publisher = {
      publish: async (d: Buffer) => {
        published.push(d);
        return 'id';
      },
      close: async () => {},
    };
    await replayDeadLetters({ store, ledger: new MemoryLedger(), publisher });
    await replayDeadLetters({ store, ledger: new MemoryLedger(), publisher });
    const ids = await Promise.all(
      published.map(async (d) => (await decodeEnvelope(d)).events[0]?.event.messageId),
    );
    assert.equal(ids[0], `dlq-${store.letters[0]!.id}`);
    assert.equal(ids[0], ids[1]);
  });
});
