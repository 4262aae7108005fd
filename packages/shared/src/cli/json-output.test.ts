import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { jsonOutput, snakeCaseKeys } from './json-output.ts';

describe('--json output', () => {
  test('keys in snake_case at every depth, dates as ISO text, values untouched', () => {
    assert.deepEqual(
      snakeCaseKeys({
        pendingFiles: 1,
        loaded: { lastLoadedAt: new Date(Date.UTC(2026, 10, 30)), rows: 2 },
        quarantined: [{ fileKey: 'events/a.parquet', reasonCode: 'x' }],
        already_snake: 'keepCamelValues',
      }),
      {
        pending_files: 1,
        loaded: { last_loaded_at: '2026-11-30T00:00:00.000Z', rows: 2 },
        quarantined: [{ file_key: 'events/a.parquet', reason_code: 'x' }],
        already_snake: 'keepCamelValues',
      },
    );
    assert.equal(jsonOutput({ aB: null }), '{\n  "a_b": null\n}');
  });
});
