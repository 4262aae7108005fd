import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { timestampMicros } from './write.ts';

describe('Parquet timestamps', () => {
  test('ISO-8601 times become microseconds since the epoch, sub-millisecond digits kept', () => {
    assert.equal(timestampMicros('1970-01-01T00:00:00.000Z'), 0);
    assert.equal(timestampMicros('2026-11-27T10:00:00.500Z'), Date.parse('2026-11-27T10:00:00.500Z') * 1000);
    assert.equal(timestampMicros('1970-01-01T00:00:00.000123Z'), 123);
    assert.equal(timestampMicros('1970-01-01T01:00:00+01:00'), 0);
    assert.equal(timestampMicros('1969-12-31T23:30:00-00:30'), 0);
    assert.equal(timestampMicros('1970-01-01 00:00:01'), 1_000_000, 'no zone: UTC');
    assert.equal(timestampMicros('2024-02-29T12:00:00.000Z'), Date.parse('2024-02-29T12:00:00Z') * 1000);
  });

  test('anything else is refused', () => {
    for (const bad of [
      'not a time',
      '2026-02-30T00:00:00Z',
      '2026-02-30T00:00:00.000Z',
      '2026-11-31T00:00:00.000Z',
      '2026-11-27',
      '',
      '2026-11-27T25:00:00Z',
    ]) {
      assert.equal(timestampMicros(bad), undefined, bad);
    }
  });
});
