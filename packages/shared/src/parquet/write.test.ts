import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { timestampMicros } from './write.ts';

describe('Parquet timestamps', () => {
  test('ISO-8601 times become microseconds since the epoch, sub-millisecond digits kept', () => {
    assert.equal(timestampMicros('1970-01-01T00:00:00.000Z'), 0n);
    assert.equal(
      timestampMicros('2026-11-27T10:00:00.500Z'),
      BigInt(Date.parse('2026-11-27T10:00:00.500Z')) * 1000n,
    );
    assert.equal(timestampMicros('1970-01-01T00:00:00.000123Z'), 123n);
    assert.equal(timestampMicros('1970-01-01T01:00:00+01:00'), 0n);
    assert.equal(timestampMicros('1969-12-31T23:30:00-00:30'), 0n);
    assert.equal(timestampMicros('1970-01-01 00:00:01'), 1_000_000n, 'no zone: UTC');
  });

  test('anything else is refused', () => {
    for (const bad of ['not a time', '2026-02-30T00:00:00Z', '2026-11-27', '', '2026-11-27T25:00:00Z']) {
      assert.equal(timestampMicros(bad), undefined, bad);
    }
  });
});
