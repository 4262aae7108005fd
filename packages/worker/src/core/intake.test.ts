// Message intake as a function of message, settings and time: the same
// message gives the same result (same dead-letter ids, same partitions) on
// every delivery.
import assert from 'node:assert/strict';
import type { QueueMessage } from '@eventkit/shared/ports';
import { describe, test } from 'vitest';
import { envelopeOf, events, TEST_SETTINGS } from '../testing/helpers.ts';
import { intake } from './intake.ts';

const message = (data: Buffer, deliveryAttempt = 1): QueueMessage => ({
  id: 'q-1',
  data,
  attributes: { stream: 'events' },
  deliveryAttempt,
  publishedAt: new Date(0),
});
const now = new Date('2026-01-01T00:00:00Z');

describe('message intake', () => {
  test('accepts valid events with their size and partition, the same on every delivery', async () => {
    const env = await envelopeOf(events(10));
    const a = await intake(message(env.data), TEST_SETTINGS, now);
    const b = await intake(message(env.data, 2), TEST_SETTINGS, now);
    assert.equal(a.kind, 'events');
    assert.equal(b.kind, 'events');
    if (a.kind !== 'events' || b.kind !== 'events') return;
    assert.equal(a.received.length, 10);
    assert.equal(a.accepted.length, 10);
    assert.deepEqual(a.invalid, []);
    assert.deepEqual(
      a.accepted.map((x) => [x.partition, x.bytes]),
      b.accepted.map((x) => [x.partition, x.bytes]),
    );
    for (const x of a.accepted) assert.ok(x.partition >= 0 && x.partition < TEST_SETTINGS.partitions);
  });

  test('an invalid event becomes a validation dead letter named by the message and index', async () => {
    const list = events(3);
    (list[1]!.event as unknown as Record<string, unknown>).type = 'nonsense';
    const taken = await intake(message((await envelopeOf(list)).data), TEST_SETTINGS, now);
    assert.equal(taken.kind, 'events');
    if (taken.kind !== 'events') return;
    assert.equal(taken.accepted.length, 2);
    assert.equal(taken.invalid.length, 1);
    assert.equal(taken.invalid[0]!.errorType, 'validation');
  });

  test('undecodable and poison messages are dead-lettered whole', async () => {
    const bad = await intake(message(Buffer.from('not an envelope')), TEST_SETTINGS, now);
    assert.equal(bad.kind, 'dead-letter');
    if (bad.kind === 'dead-letter') assert.equal(bad.reason, 'undecodable');
    const env = await envelopeOf(events(1));
    const poison = await intake(message(env.data, TEST_SETTINGS.maxDeliveryAttempts + 1), TEST_SETTINGS, now);
    assert.equal(poison.kind, 'dead-letter');
    if (poison.kind === 'dead-letter') {
      assert.equal(poison.reason, 'poison');
      assert.equal(poison.letter.reasons[0]?.code, 'poison_message');
    }
  });
});
