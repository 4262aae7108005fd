// Properties that must hold for every input, checked with generated data.

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, test } from 'vitest';
import { normalizeEvent } from './normalize.ts';
import { REASON_CODES } from './reasons.ts';
import { toWarehouseRow, WAREHOUSE_COLUMNS } from './row.ts';
import { inboundFieldsRuntimeSchema, inboundFieldsSchema } from './schema.ts';
import { CLIENT_EVENTS } from './test-payloads.ts';
import { MAX_EVENT_TIME_MS, MIN_EVENT_TIME_MS } from './time.ts';
import { EVENT_TYPES, type JsonObject } from './types.ts';
import { validateEvent } from './validate.ts';

const KNOWN_FIELDS = [
  'type',
  'messageId',
  'userId',
  'anonymousId',
  'groupId',
  'previousId',
  'event',
  'name',
  'category',
  'timestamp',
  'originalTimestamp',
  'sentAt',
  'context',
  'integrations',
  'properties',
  'traits',
  'writeKey',
  '__proto__',
];

// Keys biased towards the ones with rules, so generated objects exercise them.
const key = fc.oneof(fc.constantFrom(...KNOWN_FIELDS), fc.string());

const hostileValue = fc.anything({
  key,
  withBoxedValues: true,
  withMap: true,
  withSet: true,
  withObjectString: true,
  withNullPrototype: true,
  withBigInt: true,
  withDate: true,
  withSparseArray: true,
  withTypedArray: true,
});

// A real client event with one known field set to any JSON value or removed, and maybe an extra field.
const mutatedClientEvent = fc
  .record({
    make: fc.constantFrom(...Object.values(CLIENT_EVENTS)),
    field: fc.constantFrom(...KNOWN_FIELDS),
    value: fc.option(fc.jsonValue(), { nil: undefined }),
    extra: fc.option(fc.tuple(fc.string(), fc.jsonValue()), { nil: undefined }),
  })
  .map(({ make, field, value, extra }) => {
    const event: JsonObject = make();
    if (value === undefined) delete event[field];
    else Object.defineProperty(event, field, { value, enumerable: true, writable: true, configurable: true });
    if (extra !== undefined)
      Object.defineProperty(event, extra[0], {
        value: extra[1],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    return event;
  });

function assertWellFormed(result: ReturnType<typeof validateEvent>) {
  if (result.ok) {
    assert.ok(EVENT_TYPES.includes(result.event.type));
    return;
  }
  assert.ok(result.reasons.length >= 1);
  for (const reason of result.reasons) {
    assert.ok((REASON_CODES as readonly string[]).includes(reason.code), reason.code);
    assert.equal(typeof reason.message, 'string');
    assert.ok(reason.message.length > 0);
    if (reason.path !== undefined) assert.equal(typeof reason.path, 'string');
  }
}

describe('validateEvent never throws and always explains', () => {
  test('on any value at all', () => {
    fc.assert(
      fc.property(hostileValue, (input) => assertWellFormed(validateEvent(input))),
      { numRuns: 500 },
    );
  });

  test('on any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (input) => assertWellFormed(validateEvent(input))),
      { numRuns: 500 },
    );
  });

  test('on objects made of known field names and any values', () => {
    const objects = fc.dictionary(key, hostileValue, { maxKeys: 20 });
    fc.assert(
      fc.property(objects, (input) => assertWellFormed(validateEvent(input))),
      { numRuns: 500 },
    );
  });

  test('on real client events with one field changed', () => {
    fc.assert(
      fc.property(mutatedClientEvent, (input) => assertWellFormed(validateEvent(input))),
      { numRuns: 1000 },
    );
  });

  test('the compiled schema agrees with the interpreted one', () => {
    const inputs = fc.oneof(mutatedClientEvent, fc.dictionary(key, fc.jsonValue(), { maxKeys: 20 }));
    fc.assert(
      fc.property(inputs, (input) => {
        const compiled = inboundFieldsSchema.safeParse(input);
        const interpreted = inboundFieldsRuntimeSchema.safeParse(input);
        assert.equal(compiled.success, interpreted.success);
        if (!compiled.success && !interpreted.success) {
          assert.deepEqual(compiled.error.issues, interpreted.error.issues);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

// Device times in the range where shifting by any offset stays inside years 0001–9999.
const instant = fc.integer({ min: 100_000_000_000, max: MAX_EVENT_TIME_MS - 2 * 86_400_000 });
const offsetMinutes = fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 });

function isoWithOffset(ms: number, offset: number): string {
  const local = new Date(ms + offset * 60_000).toISOString().slice(0, 23);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

// A device time as some client would spell it, with the instant it denotes.
const clientTime = fc.oneof(
  instant.map((ms) => ({ ms, sent: new Date(ms).toISOString() as string | number })),
  instant.map((ms) => ({ ms, sent: ms as string | number })),
  fc
    .tuple(instant, offsetMinutes)
    .map(([ms, offset]) => ({ ms, sent: isoWithOffset(ms, offset) as string | number })),
);

const id = fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), fc.integer());

const validEvent = fc
  .record({
    type: fc.constantFrom(...EVENT_TYPES),
    userId: id,
    anonymousId: fc.option(id, { nil: undefined }),
    messageId: fc.option(fc.string({ minLength: 1, maxLength: 200 }), { nil: undefined }),
    original: fc.option(clientTime, { nil: undefined }),
    originalAs: fc.constantFrom('timestamp', 'originalTimestamp'),
    sentAt: fc.option(clientTime, { nil: undefined }),
    batchSentAt: fc.option(clientTime, { nil: undefined }),
    receivedAt: instant,
    properties: fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 5 }),
    context: fc.option(fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 5 }), { nil: undefined }),
  })
  .map((g) => {
    const sent: JsonObject = {
      type: g.type,
      userId: g.userId,
      event: 'Generated',
      groupId: 'g-1',
      previousId: 'p-1',
      properties: g.properties,
    };
    if (g.anonymousId !== undefined) sent.anonymousId = g.anonymousId;
    if (g.messageId !== undefined) sent.messageId = g.messageId;
    if (g.original !== undefined) sent[g.originalAs] = g.original.sent;
    if (g.sentAt !== undefined) sent.sentAt = g.sentAt.sent;
    if (g.context !== undefined) sent.context = g.context;
    const batchSentAt = g.batchSentAt === undefined ? undefined : new Date(g.batchSentAt.ms).toISOString();
    // Through JSON, as the gateway receives it (no -0, no null prototypes).
    return { sent: JSON.parse(JSON.stringify(sent)) as JsonObject, g, batchSentAt };
  });

const ISO_MS_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('every valid event normalises consistently', () => {
  test('timestamp = receivedAt − (sentAt − originalTimestamp), or the documented fallback', () => {
    fc.assert(
      fc.property(validEvent, ({ sent, g, batchSentAt }) => {
        const result = validateEvent(sent);
        if (!result.ok) assert.fail(JSON.stringify(result.reasons));
        const event = normalizeEvent(result.event, { receivedAt: new Date(g.receivedAt), batchSentAt });
        for (const time of [event.timestamp, event.receivedAt, event.originalTimestamp, event.sentAt]) {
          if (time !== undefined) assert.match(time, ISO_MS_UTC);
        }
        const received = Date.parse(event.receivedAt);
        const timestamp = Date.parse(event.timestamp);
        assert.equal(received, g.receivedAt);
        const sentAt = g.sentAt?.ms ?? g.batchSentAt?.ms;
        assert.equal(event.sentAt === undefined ? undefined : Date.parse(event.sentAt), sentAt);
        assert.equal(
          event.originalTimestamp === undefined ? undefined : Date.parse(event.originalTimestamp),
          g.original?.ms,
        );
        if (g.original === undefined) {
          assert.equal(timestamp, received);
        } else if (sentAt === undefined) {
          assert.equal(timestamp, g.original.ms);
        } else {
          const corrected = received - (sentAt - g.original.ms);
          const storable = corrected >= MIN_EVENT_TIME_MS && corrected <= MAX_EVENT_TIME_MS;
          // The device-clock interval is preserved on the server's clock.
          if (storable) assert.equal(received - timestamp, sentAt - g.original.ms);
          else assert.equal(timestamp, g.original.ms);
        }
        assert.equal(event.userId, String(g.userId));
        assert.equal(typeof event.messageId, 'string');
        assert.deepEqual(JSON.parse(JSON.stringify(event)), event);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('toWarehouseRow', () => {
  test('yields JSON text or null in JSON columns and strings or null elsewhere', () => {
    const jsonColumns = WAREHOUSE_COLUMNS.filter((c) => c.type === 'JSON').map((c) => c.name);
    fc.assert(
      fc.property(validEvent, fc.string(), ({ sent, g, batchSentAt }, source) => {
        const result = validateEvent(sent);
        if (!result.ok) assert.fail(JSON.stringify(result.reasons));
        const event = normalizeEvent(result.event, { receivedAt: new Date(g.receivedAt), batchSentAt });
        const row = toWarehouseRow({ event, source, stream: 'events', requestId: 'r' });
        for (const column of WAREHOUSE_COLUMNS) {
          const cell = row[column.name];
          if (column.mode === 'REQUIRED') assert.equal(typeof cell, 'string', column.name);
          else assert.ok(cell === null || typeof cell === 'string', column.name);
        }
        for (const name of jsonColumns) {
          const cell = row[name];
          if (cell !== null) JSON.parse(cell);
        }
        assert.deepEqual(JSON.parse(row.properties ?? 'null'), event.properties);
      }),
      { numRuns: 500 },
    );
  });

  test('never yields anything but a string or null in JSON columns, whatever JSON the event holds', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), fc.jsonValue(), (properties, traits, context) => {
        const event = {
          type: 'track' as const,
          messageId: 'm',
          timestamp: '2026-11-27T10:00:00.000Z',
          receivedAt: '2026-11-27T10:00:00.000Z',
          properties,
          traits,
          context,
        } as unknown as Parameters<typeof toWarehouseRow>[0]['event'];
        const row = toWarehouseRow({ event, source: 's', stream: 'events', requestId: 'r' });
        for (const cell of [row.properties, row.traits, row.context, row.integrations]) {
          assert.ok(cell === null || typeof cell === 'string');
        }
      }),
      { numRuns: 500 },
    );
  });
});
