import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, test } from 'vitest';
import { MAX_EVENT_TIME_MS, MIN_EVENT_TIME_MS, parseEventTime, toIsoTimestamp } from './time.ts';

const at = (iso: string) => new Date(iso).getTime();

describe('parseEventTime', () => {
  test('reads the ISO-8601 forms clients send', () => {
    const cases: Array<[string, string]> = [
      ['2026-11-27T10:00:00.000Z', '2026-11-27T10:00:00.000Z'],
      ['2026-11-27T10:00:00Z', '2026-11-27T10:00:00.000Z'],
      ['2026-11-27T10:00Z', '2026-11-27T10:00:00.000Z'],
      ['2026-11-27T12:00:00.000+02:00', '2026-11-27T10:00:00.000Z'],
      ['2026-11-27T05:30:00-0430', '2026-11-27T10:00:00.000Z'],
      ['2026-11-27T15:00:00+05', '2026-11-27T10:00:00.000Z'],
      ['2026-11-27 10:00:00.5z', '2026-11-27T10:00:00.500Z'],
      ['2026-11-27T10:00:00.123456789Z', '2026-11-27T10:00:00.123Z'], // sub-millisecond digits truncated
      ['2026-11-27', '2026-11-27T00:00:00.000Z'],
    ];
    for (const [input, expected] of cases) assert.equal(parseEventTime(input), at(expected), input);
  });

  test('reads a date-time without an offset as UTC, whatever the server zone', () => {
    const zone = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      assert.notEqual(new Date('2026-11-27T10:00:00').getTime(), at('2026-11-27T10:00:00.000Z'));
      assert.equal(parseEventTime('2026-11-27T10:00:00'), at('2026-11-27T10:00:00.000Z'));
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  test('reads epoch milliseconds', () => {
    assert.equal(parseEventTime(1_795_860_000_123), 1_795_860_000_123);
    assert.equal(parseEventTime(1_795_860_000_123.9), 1_795_860_000_123);
  });

  test('refuses numbers that look like epoch seconds rather than land them in 1970', () => {
    assert.equal(parseEventTime(1_795_860_000), undefined);
    assert.equal(parseEventTime(99_999_999_999), undefined);
    assert.equal(parseEventTime(100_000_000_000), 100_000_000_000);
  });

  test('refuses impossible calendar dates that Date.parse would roll over', () => {
    for (const input of [
      '2026-02-29T00:00:00Z',
      '2026-13-01',
      '2026-04-31',
      '2026-11-27T24:00:00Z',
      '2026-11-27T10:60Z',
    ]) {
      assert.equal(parseEventTime(input), undefined, input);
    }
    assert.equal(parseEventTime('2024-02-29T00:00:00Z'), at('2024-02-29T00:00:00Z'));
  });

  test('refuses text Date.parse would guess at', () => {
    for (const input of [
      'March 7 2014',
      'Tue, 27 Nov 2026 10:00:00 GMT',
      '',
      'now',
      '2026-11-27T10:00:00+25:00',
      '27/11/2026',
    ]) {
      assert.equal(parseEventTime(input), undefined, input);
    }
  });

  test('refuses non-time JSON values and huge strings without scanning them', () => {
    for (const input of [
      null,
      undefined,
      true,
      {},
      [],
      Number.NaN,
      Number.POSITIVE_INFINITY,
      `2026-11-27${'0'.repeat(1e6)}`,
    ]) {
      assert.equal(parseEventTime(input), undefined);
    }
  });

  test('keeps to years 0001–9999, the range the warehouse stores', () => {
    assert.equal(parseEventTime('0001-01-01T00:00:00Z'), MIN_EVENT_TIME_MS);
    // Date.UTC would turn year 99 into 1999.
    assert.equal(toIsoTimestamp(parseEventTime('0099-06-01T00:00:00Z')!), '0099-06-01T00:00:00.000Z');
    assert.equal(parseEventTime('9999-12-31T23:59:59.999Z'), MAX_EVENT_TIME_MS);
    assert.equal(parseEventTime('0000-12-31T00:00:00Z'), undefined);
    assert.equal(parseEventTime('0001-01-01T00:00:00+01:00'), undefined);
    assert.equal(parseEventTime('9999-12-31T23:59:59-01:00'), undefined);
    assert.equal(parseEventTime(MAX_EVENT_TIME_MS + 1), undefined);
  });

  test('toIsoTimestamp writes UTC with milliseconds', () => {
    assert.equal(toIsoTimestamp(at('2026-11-27T12:00:00+02:00')), '2026-11-27T10:00:00.000Z');
    assert.equal(toIsoTimestamp(MIN_EVENT_TIME_MS), '0001-01-01T00:00:00.000Z');
  });
});

describe('the canonical fast path', () => {
  test('parses every canonical instant exactly and returns canonical text unchanged', () => {
    fc.assert(
      fc.property(fc.integer({ min: MIN_EVENT_TIME_MS, max: MAX_EVENT_TIME_MS }), (ms) => {
        const iso = new Date(ms).toISOString();
        assert.equal(parseEventTime(iso), ms);
        assert.equal(toIsoTimestamp(ms, iso), iso);
        assert.equal(toIsoTimestamp(ms), iso);
      }),
      { numRuns: 2000 },
    );
  });

  test('still refuses impossible canonical dates and times', () => {
    for (const bad of [
      '2026-02-30T00:00:00.000Z',
      '2026-13-01T00:00:00.000Z',
      '2026-01-01T24:00:00.000Z',
      '0000-01-01T00:00:00.000Z',
    ]) {
      assert.equal(parseEventTime(bad), undefined, bad);
    }
    assert.equal(parseEventTime('2024-02-29T23:59:59.999Z'), Date.UTC(2024, 1, 29, 23, 59, 59, 999));
  });

  test('a non-canonical given text is never returned as is', () => {
    const ms = Date.UTC(2026, 10, 27, 10, 0, 0, 0);
    assert.equal(toIsoTimestamp(ms, '2026-11-27T11:00:00+01:00'), '2026-11-27T10:00:00.000Z');
  });
});
