import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { DEFAULT_MAX_EVENT_BYTES, MAX_MESSAGE_ID_LENGTH } from './limits.ts';
import { REASON_CODES } from './reasons.ts';
import {
  analyticsJsTrack,
  CLIENT_EVENTS,
  rudderBrowserPage,
  rudderNodeTrack,
  segmentAlias,
  segmentGroup,
  segmentNodeTrack,
} from './test-payloads.ts';
import type { JsonObject, Reason } from './types.ts';
import { type ValidateOptions, validateEvent } from './validate.ts';

function reasonsOf(input: unknown, options?: ValidateOptions): Reason[] {
  const result = validateEvent(input, options);
  assert.equal(result.ok, false, 'expected the event to be refused');
  return result.ok ? [] : result.reasons;
}

function codesOf(input: unknown, options?: ValidateOptions): string[] {
  return reasonsOf(input, options).map((r) => r.code);
}

function accepted(input: unknown, options?: ValidateOptions) {
  const result = validateEvent(input, options);
  if (!result.ok) assert.fail(`expected the event to be accepted, got ${JSON.stringify(result.reasons)}`);
  return result.event;
}

describe('validateEvent accepts what real SDKs send', () => {
  for (const [client, make] of Object.entries(CLIENT_EVENTS)) {
    test(client, () => {
      const sent = make();
      assert.deepEqual(accepted(sent), sent);
    });
  }

  test('keeps unknown top-level fields (channel, rudderId, _metadata, writeKey) untouched', () => {
    const event = accepted(rudderBrowserPage());
    assert.equal(event.channel, 'web');
    assert.equal(event.rudderId, 'a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d');
    assert.deepEqual(accepted(analyticsJsTrack())._metadata, {
      bundled: ['Segment.io'],
      unbundled: [],
      bundledIds: [],
    });
    assert.equal(accepted(analyticsJsTrack()).writeKey, 'wk_live_abc');
  });

  test('returns the client object itself when it needs no change (no copy on the hot path)', () => {
    const sent = segmentNodeTrack();
    assert.equal(accepted(sent), sent);
  });

  test('accepts numeric ids, as Segment clients send them', () => {
    accepted({ ...segmentNodeTrack(), userId: 42 });
    accepted({ ...segmentGroup(), groupId: 7 });
    accepted({ ...segmentAlias(), userId: 2, previousId: 1 });
  });

  test('accepts null for every optional known field', () => {
    accepted({
      ...segmentNodeTrack(),
      messageId: null,
      anonymousId: null,
      name: null,
      category: null,
      timestamp: null,
      sentAt: null,
      originalTimestamp: null,
      context: null,
      integrations: null,
      properties: null,
      traits: null,
    });
  });

  test('accepts epoch milliseconds for timestamps', () => {
    accepted({ ...rudderNodeTrack(), originalTimestamp: 1_795_860_000_000, sentAt: 1_795_860_001_234 });
  });

  test('reads type case-insensitively and hands it on in lowercase', () => {
    const sent = { ...segmentNodeTrack(), type: 'Track' };
    const event = accepted(sent);
    assert.equal(event.type, 'track');
    assert.equal(sent.type, 'Track', 'the client object is not mutated');
  });

  test('takes the type the route implies when the body has none, and prefers the body', () => {
    const { type: _, ...untyped } = segmentNodeTrack();
    assert.equal(accepted(untyped, { impliedType: 'track' }).type, 'track');
    assert.deepEqual(codesOf(untyped), ['missing_type']);
    assert.equal(accepted(segmentGroup(), { impliedType: 'track' }).type, 'group');
  });
});

describe('validateEvent refuses, with stable codes', () => {
  test('anything that is not a JSON object', () => {
    for (const input of [
      null,
      undefined,
      0,
      'track',
      true,
      [],
      [segmentNodeTrack()],
      new Date(),
      new Map(),
    ]) {
      assert.equal(codesOf(input)[0], 'not_an_object', String(input));
    }
  });

  test('missing and unknown types', () => {
    for (const type of [undefined, null, '']) {
      assert.deepEqual(codesOf({ ...segmentNodeTrack(), type }), ['missing_type']);
    }
    assert.deepEqual(reasonsOf({ ...segmentNodeTrack(), type: 'purchase' }), [
      {
        code: 'unknown_type',
        message: 'type "purchase" is not one of track, identify, page, screen, group, alias',
        path: 'type',
      },
    ]);
    assert.deepEqual(codesOf({ ...segmentNodeTrack(), type: 3 }), ['invalid_field']);
  });

  test('an event without userId or anonymousId; null and "" do not count', () => {
    for (const [userId, anonymousId] of [
      [undefined, undefined],
      [null, null],
      ['', ''],
      ['', null],
    ]) {
      assert.deepEqual(reasonsOf({ ...segmentNodeTrack(), userId, anonymousId }), [
        { code: 'missing_identity', message: 'every event needs a userId or an anonymousId', path: 'userId' },
      ]);
    }
    accepted({ ...rudderBrowserPage(), userId: '' });
  });

  test('a track without an event name', () => {
    for (const event of [undefined, null, '']) {
      assert.deepEqual(codesOf({ ...segmentNodeTrack(), event }), ['missing_event_name']);
    }
  });

  test('a group without a groupId', () => {
    assert.deepEqual(codesOf({ ...segmentGroup(), groupId: undefined }), ['missing_group_id']);
  });

  test('an alias needs both previousId and userId; an anonymousId does not stand in', () => {
    assert.deepEqual(codesOf({ ...segmentAlias(), previousId: '' }), ['missing_previous_id']);
    assert.deepEqual(codesOf({ ...segmentAlias(), userId: undefined, anonymousId: 'anon-1' }), [
      'missing_identity',
    ]);
    assert.deepEqual(codesOf({ type: 'alias' }), ['missing_identity', 'missing_previous_id']);
  });

  test('known fields of the wrong JSON type, naming the field', () => {
    const cases: Array<[string, unknown, string]> = [
      ['userId', { id: 1 }, 'userId must be a string or a number, not an object'],
      ['anonymousId', true, 'anonymousId must be a string or a number, not a boolean'],
      ['properties', ['a'], 'properties must be an object, not an array'],
      ['context', 'web', 'context must be an object, not a string'],
      ['traits', 5, 'traits must be an object, not a number'],
      ['integrations', [], 'integrations must be an object, not an array'],
      ['event', 12, 'event must be a string, not a number'],
      ['name', {}, 'name must be a string, not an object'],
    ];
    for (const [field, value, message] of cases) {
      assert.deepEqual(reasonsOf({ ...segmentNodeTrack(), [field]: value }), [
        { code: 'invalid_field', message, path: field },
      ]);
    }
  });

  test('unreadable timestamps, quoting what was sent', () => {
    for (const field of ['timestamp', 'originalTimestamp', 'sentAt']) {
      const [reason] = reasonsOf({ ...rudderNodeTrack(), [field]: 'yesterday' });
      assert.equal(reason?.code, 'invalid_timestamp');
      assert.equal(reason?.path, field);
      assert.match(reason?.message ?? '', new RegExp(`^${field} "yesterday" is not a valid ISO-8601`));
    }
    assert.match(
      reasonsOf({ ...rudderNodeTrack(), sentAt: 1_795_860_001 })[0]?.message ?? '',
      /epoch seconds/,
    );
    assert.deepEqual(codesOf({ ...rudderNodeTrack(), sentAt: {} }), ['invalid_timestamp']);
  });

  test('messageId: a string of 1 to 200 characters', () => {
    accepted({ ...segmentNodeTrack(), messageId: 'm'.repeat(MAX_MESSAGE_ID_LENGTH) });
    assert.deepEqual(reasonsOf({ ...segmentNodeTrack(), messageId: 'm'.repeat(MAX_MESSAGE_ID_LENGTH + 1) }), [
      {
        code: 'invalid_message_id',
        message: 'messageId is 201 characters long; the limit is 200',
        path: 'messageId',
      },
    ]);
    assert.deepEqual(codesOf({ ...segmentNodeTrack(), messageId: '' }), ['invalid_message_id']);
    assert.deepEqual(codesOf({ ...segmentNodeTrack(), messageId: 1234 }), ['invalid_message_id']);
  });

  test('every problem at once, not just the first', () => {
    const codes = codesOf({
      type: 'track',
      userId: ['u'],
      messageId: 42,
      properties: 'cheap',
      timestamp: 'soon',
      sentAt: -1,
      padding: 'x'.repeat(DEFAULT_MAX_EVENT_BYTES),
    });
    assert.deepEqual(codes.sort(), [
      'event_too_large',
      'invalid_field',
      'invalid_field',
      'invalid_message_id',
      'invalid_timestamp',
      'invalid_timestamp',
      'missing_event_name',
    ]);
  });

  test('an event that cannot be serialised again (nested deeper than JSON.stringify goes)', () => {
    const deep = JSON.parse(`${'['.repeat(200_000)}${']'.repeat(200_000)}`);
    assert.deepEqual(codesOf({ ...segmentNodeTrack(), properties: { deep } }), ['not_serializable']);
  });

  test('only codes from REASON_CODES, each with a message', () => {
    const reasons = reasonsOf({ type: 'alias', userId: {}, timestamp: 'x', context: [] });
    for (const r of reasons) {
      assert.ok((REASON_CODES as readonly string[]).includes(r.code), r.code);
      assert.ok(r.message.length > 0);
    }
  });
});

describe('validateEvent size limit', () => {
  // An event padded to exactly `bytes` of JSON; 'é' is two UTF-8 bytes, so the limit must count bytes, not characters.
  function eventOfBytes(bytes: number): JsonObject {
    const event = { ...segmentNodeTrack(), properties: { note: '' } };
    const base = Buffer.byteLength(JSON.stringify(event));
    const room = bytes - base;
    event.properties.note = 'é'.repeat(Math.floor(room / 2)) + 'x'.repeat(room % 2);
    assert.equal(Buffer.byteLength(JSON.stringify(event)), bytes);
    return event;
  }

  test('accepts an event of exactly 32 KiB and refuses one byte more', () => {
    accepted(eventOfBytes(DEFAULT_MAX_EVENT_BYTES));
    assert.deepEqual(reasonsOf(eventOfBytes(DEFAULT_MAX_EVENT_BYTES + 1)), [
      { code: 'event_too_large', message: 'the event is 32769 bytes as JSON; the limit is 32768 bytes' },
    ]);
  });

  test('honours a configured limit', () => {
    accepted(eventOfBytes(1000), { maxEventBytes: 1000 });
    assert.deepEqual(codesOf(eventOfBytes(1001), { maxEventBytes: 1000 }), ['event_too_large']);
  });

  test('uses the size the caller measured instead of serialising', () => {
    const small = segmentNodeTrack();
    accepted(small, { measuredBytes: DEFAULT_MAX_EVENT_BYTES });
    assert.deepEqual(codesOf(small, { measuredBytes: DEFAULT_MAX_EVENT_BYTES + 1 }), ['event_too_large']);
  });

  test('reports size together with the other problems of a non-object', () => {
    assert.deepEqual(codesOf('x'.repeat(DEFAULT_MAX_EVENT_BYTES)), ['not_an_object', 'event_too_large']);
  });
});

describe('validateEvent on hostile input', () => {
  test('a __proto__ key is kept as an ordinary field and pollutes nothing', () => {
    const sent = JSON.parse('{"__proto__":{"polluted":true},"type":"Identify","userId":"u-1"}');
    const event = accepted(sent);
    assert.equal(Object.getPrototypeOf(event), Object.prototype);
    assert.equal((event as { polluted?: unknown }).polluted, undefined);
    assert.deepEqual(Object.getOwnPropertyDescriptor(event, '__proto__')?.value, { polluted: true });
    assert.equal(({} as { polluted?: unknown }).polluted, undefined);
  });

  test('a null-prototype object is an object', () => {
    accepted(Object.assign(Object.create(null), segmentNodeTrack()));
  });

  test('a huge string in a timestamp or type is refused without echoing it', () => {
    const huge = 'z'.repeat(100_000);
    for (const reason of reasonsOf(
      { ...segmentNodeTrack(), type: huge, timestamp: huge },
      { measuredBytes: 1 },
    )) {
      assert.ok(reason.message.length < 200, reason.message);
    }
  });
});
