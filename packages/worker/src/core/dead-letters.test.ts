import assert from 'node:assert/strict';
import type { RoutedEvent } from '@eventkit/shared/event';
import type { QueueMessage } from '@eventkit/shared/ports';
import { describe, test } from 'vitest';
import { eventLetter, messageLetter } from './dead-letters.ts';

const routed = (event: Record<string, unknown>): RoutedEvent =>
  ({ event, source: 'web', stream: 'events', requestId: 'req-1' }) as unknown as RoutedEvent;
const reason = (code: string) => [{ code, message: `because ${code}` }];

describe('dead-letter ids name the failure, so a redelivery or a retry is one letter', () => {
  test('the same event refused for the same reasons: the same id, at any time, from any delivery', () => {
    const a = eventLetter(routed({ messageId: 'm-1' }), 'validation', reason('x'), new Date(1), 'msg-A#0');
    const b = eventLetter(routed({ messageId: 'm-1' }), 'validation', reason('x'), new Date(2), 'msg-B#3');
    assert.equal(a.id, b.id);
    assert.match(a.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const other = eventLetter(
      routed({ messageId: 'm-1' }),
      'validation',
      reason('y'),
      new Date(1),
      'msg-A#0',
    );
    assert.notEqual(other.id, a.id, 'another reason is another failure');
    const processing = eventLetter(routed({ messageId: 'm-1' }), 'processing', reason('x'), new Date(1), 'o');
    assert.notEqual(processing.id, a.id);
  });

  test('an event without a messageId is named by its place in its queue message (stable across redeliveries)', () => {
    const first = eventLetter(routed({}), 'validation', reason('x'), new Date(1), 'msg-A#0');
    assert.equal(first.id, eventLetter(routed({}), 'validation', reason('x'), new Date(9), 'msg-A#0').id);
    assert.notEqual(first.id, eventLetter(routed({}), 'validation', reason('x'), new Date(1), 'msg-A#1').id);
  });

  test('a whole message is named by its queue message id', () => {
    const message = (id: string) =>
      ({ id, data: Buffer.from('junk'), attributes: {}, deliveryAttempt: 6 }) as unknown as QueueMessage;
    assert.equal(
      messageLetter(message('q-1'), reason('poison_message'), new Date(1)).id,
      messageLetter(message('q-1'), reason('poison_message'), new Date(2)).id,
    );
    assert.notEqual(
      messageLetter(message('q-1'), reason('poison_message'), new Date(1)).id,
      messageLetter(message('q-2'), reason('poison_message'), new Date(1)).id,
    );
  });
});
