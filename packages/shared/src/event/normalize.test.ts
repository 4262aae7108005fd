import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { correctedTimestamp, type NormalizeContext, normalizeEvent } from './normalize.ts';
import {
  analyticsJsTrack,
  rudderBrowserPage,
  rudderNodeTrack,
  segmentAlias,
  segmentNodeBatch,
  segmentNodeTrack,
} from './test-payloads.ts';
import type { InboundEvent, JsonObject } from './types.ts';
import { validateEvent } from './validate.ts';

function inbound(sent: JsonObject): InboundEvent {
  const result = validateEvent(sent);
  if (!result.ok) assert.fail(JSON.stringify(result.reasons));
  return result.event;
}

function normalize(sent: JsonObject, ctx: Omit<NormalizeContext, 'receivedAt'> & { receivedAt: string }) {
  return normalizeEvent(inbound(sent), { ...ctx, receivedAt: new Date(ctx.receivedAt) });
}

describe('normalizeEvent corrects the device clock', () => {
  test('rudder-sdk-node: originalTimestamp and per-event sentAt, device clock 5 minutes slow', () => {
    // Device: called at 10:00:00.000, sent at 10:00:01.234. Server: received at 10:05:00.000.
    const event = normalize(rudderNodeTrack(), { receivedAt: '2026-11-27T10:05:00.000Z' });
    assert.equal(event.timestamp, '2026-11-27T10:04:58.766Z');
    assert.equal(event.originalTimestamp, '2026-11-27T10:00:00.000Z');
    assert.equal(event.sentAt, '2026-11-27T10:00:01.234Z');
    assert.equal(event.receivedAt, '2026-11-27T10:05:00.000Z');
  });

  test('@segment/analytics-node: item timestamp and the batch sentAt, device clock 15 s fast', () => {
    const batch = segmentNodeBatch([segmentNodeTrack()]);
    const event = normalize(segmentNodeTrack(), {
      receivedAt: '2026-11-27T09:59:50.000Z',
      batchSentAt: batch.sentAt as string,
    });
    // The client's timestamp is the original; the event happened 5 s before the send.
    assert.equal(event.originalTimestamp, '2026-11-27T10:00:00.000Z');
    assert.equal(event.sentAt, '2026-11-27T10:00:05.000Z');
    assert.equal(event.timestamp, '2026-11-27T09:59:45.000Z');
  });

  test('analytics.js: per-event timestamp and sentAt', () => {
    const event = normalize(analyticsJsTrack(), { receivedAt: '2026-11-27T10:00:00.600Z' });
    assert.equal(event.timestamp, '2026-11-27T10:00:00.267Z'); // 600 − (456 − 123)
  });

  test("the event's own sentAt wins over the batch's", () => {
    const event = normalize(rudderNodeTrack(), {
      receivedAt: '2026-11-27T10:05:00.000Z',
      batchSentAt: '2026-11-27T10:00:30.000Z',
    });
    assert.equal(event.sentAt, '2026-11-27T10:00:01.234Z');
  });

  test('an unreadable batch sentAt counts as absent', () => {
    const event = normalize(segmentNodeTrack(), {
      receivedAt: '2026-11-27T10:05:00.000Z',
      batchSentAt: 'garbage',
    });
    assert.equal(event.sentAt, undefined);
    assert.equal(event.timestamp, '2026-11-27T10:00:00.000Z');
  });

  test('without sentAt no correction is possible: timestamp is the original', () => {
    const event = normalize(segmentNodeTrack(), { receivedAt: '2026-11-27T11:00:00.000Z' });
    assert.equal(event.timestamp, '2026-11-27T10:00:00.000Z');
    assert.equal(event.originalTimestamp, '2026-11-27T10:00:00.000Z');
    assert.equal('sentAt' in event, false);
  });

  test('without any device time: timestamp is receivedAt', () => {
    const { timestamp: _, ...sent } = segmentNodeTrack();
    const event = normalize(sent, {
      receivedAt: '2026-11-27T11:00:00.000Z',
      batchSentAt: '2026-11-27T10:59:00.000Z',
    });
    assert.equal(event.timestamp, '2026-11-27T11:00:00.000Z');
    assert.equal('originalTimestamp' in event, false);
    assert.equal(event.sentAt, '2026-11-27T10:59:00.000Z');
  });

  test('a backfill keeps its historical time, shifted only by the clock error', () => {
    const sent = {
      ...segmentNodeTrack(),
      timestamp: '2020-01-01T00:00:00.000Z',
      sentAt: '2026-11-27T10:00:00.000Z',
    };
    const event = normalize(sent, { receivedAt: '2026-11-27T10:00:02.000Z' });
    assert.equal(event.timestamp, '2020-01-01T00:00:02.000Z');
  });

  test('is not clamped to receivedAt (as at Segment): a future device time stays in the future', () => {
    const sent = {
      ...rudderNodeTrack(),
      originalTimestamp: '2026-11-28T10:00:00.000Z',
      sentAt: '2026-11-27T10:00:00.000Z',
    };
    const event = normalize(sent, { receivedAt: '2026-11-27T10:00:00.000Z' });
    assert.equal(event.timestamp, '2026-11-28T10:00:00.000Z');
  });

  test('falls back to originalTimestamp when the correction leaves the years the warehouse stores', () => {
    const sent = {
      ...rudderNodeTrack(),
      originalTimestamp: '0001-01-01T00:00:00Z',
      sentAt: '9999-01-01T00:00:00Z',
    };
    const event = normalize(sent, { receivedAt: '2026-11-27T10:00:00.000Z' });
    assert.equal(event.timestamp, '0001-01-01T00:00:00.000Z');
  });

  test('writes every time as UTC ISO-8601 with milliseconds, epoch milliseconds included', () => {
    const sent = {
      ...rudderNodeTrack(),
      originalTimestamp: '2026-11-27T12:00:00+02:00',
      sentAt: 1_795_860_001_000,
    };
    const event = normalize(sent, { receivedAt: '2026-11-27T10:00:01.000Z' });
    assert.equal(event.originalTimestamp, '2026-11-27T10:00:00.000Z');
    assert.equal(event.sentAt, new Date(1_795_860_001_000).toISOString());
  });

  test('correctedTimestamp', () => {
    assert.equal(correctedTimestamp({ receivedAt: 10_000, sentAt: 5_000, originalTimestamp: 4_000 }), 9_000);
    assert.equal(correctedTimestamp({ receivedAt: 10_000, originalTimestamp: 4_000 }), 4_000);
    assert.equal(correctedTimestamp({ receivedAt: 10_000, sentAt: 5_000 }), 10_000);
  });
});

describe('normalizeEvent fills in and tidies fields', () => {
  test("keeps the client's messageId (retries must dedup)", () => {
    const event = normalize(segmentNodeTrack(), { receivedAt: '2026-11-27T10:00:00Z' });
    assert.equal(event.messageId, 'node-next-1795860000000-3c8f0b7e-6d7a-4f7e-9a51-2b1f1c7f2a10');
  });

  test('assigns a messageId when there is none, with the given generator or a UUID', () => {
    const { messageId: _, ...sent } = segmentNodeTrack();
    assert.equal(
      normalize(sent, { receivedAt: '2026-11-27T10:00:00Z', newMessageId: () => 'gen-1' }).messageId,
      'gen-1',
    );
    assert.match(
      normalize({ ...sent, messageId: null }, { receivedAt: '2026-11-27T10:00:00Z' }).messageId,
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  test('stamps receivedAt from the gateway clock, replacing a client-sent one', () => {
    const sent = { ...segmentNodeTrack(), receivedAt: '1999-01-01T00:00:00Z' };
    const event = normalize(sent, { receivedAt: '2026-11-27T10:00:00.1234Z' });
    assert.equal(event.receivedAt, '2026-11-27T10:00:00.123Z');
  });

  test('turns numeric ids into strings', () => {
    const event = normalize(
      { ...segmentAlias(), userId: 42, previousId: 7 },
      { receivedAt: '2026-11-27T10:00:00Z' },
    );
    assert.equal(event.userId, '42');
    assert.equal(event.previousId, '7');
  });

  test('omits ids that are null or "" (anonymous users) and known fields that are null', () => {
    const js = normalize({ ...analyticsJsTrack(), properties: null }, { receivedAt: '2026-11-27T10:00:00Z' });
    assert.equal('userId' in js, false);
    assert.equal('properties' in js, false);
    const rudder = normalize(rudderBrowserPage(), { receivedAt: '2026-11-27T10:00:00Z' });
    assert.equal('userId' in rudder, false);
    assert.equal(rudder.anonymousId, 'b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e');
  });

  test('keeps unknown fields, nulls included, and drops the writeKey credential', () => {
    const sent: JsonObject = { ...analyticsJsTrack(), experiment: null, rudderId: 'r-1' };
    const event = normalize(sent, { receivedAt: '2026-11-27T10:00:00Z' });
    assert.equal('writeKey' in event, false);
    assert.equal(event.experiment, null);
    assert.equal(event.rudderId, 'r-1');
    assert.deepEqual(event._metadata, sent._metadata);
    assert.deepEqual(event.context, sent.context);
  });

  test('lowercases the type through validation', () => {
    assert.equal(
      normalize({ ...segmentNodeTrack(), type: 'TRACK' }, { receivedAt: '2026-11-27T10:00:00Z' }).type,
      'track',
    );
  });

  test('yields a plain object that survives a JSON round trip unchanged', () => {
    const event = normalize(rudderNodeTrack(), { receivedAt: '2026-11-27T10:05:00.000Z' });
    assert.equal(Object.getPrototypeOf(event), Object.prototype);
    assert.deepEqual(JSON.parse(JSON.stringify(event)), event);
  });

  test('keeps a __proto__ field as an own field without touching the prototype', () => {
    const sent = JSON.parse('{"__proto__":{"isAdmin":true},"type":"track","event":"E","userId":"u"}');
    const event = normalize(sent, { receivedAt: '2026-11-27T10:00:00Z' });
    assert.equal(Object.getPrototypeOf(event), Object.prototype);
    assert.equal((event as { isAdmin?: unknown }).isAdmin, undefined);
    assert.match(JSON.stringify(event), /"__proto__":\{"isAdmin":true\}/);
  });

  test('refuses an invalid receivedAt: a programming error, not a client one', () => {
    assert.throws(
      () => normalizeEvent(inbound(segmentNodeTrack()), { receivedAt: new Date(Number.NaN) }),
      /receivedAt is an invalid Date/,
    );
  });
});
