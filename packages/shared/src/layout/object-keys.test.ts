// The object layout, written and read by one module: every key the writers
// make parses back to what they were made from.
import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { errorFileKey, eventFileKey, keyPrefix, parseKey, replayLedgerKey } from './object-keys.ts';

describe('object layout', () => {
  test('one prefix for writers and readers: no leading slash, one trailing slash, or nothing', () => {
    assert.equal(keyPrefix(''), '');
    assert.equal(keyPrefix('/'), '');
    assert.equal(keyPrefix('tenant'), 'tenant/');
    assert.equal(keyPrefix('/tenant/'), 'tenant/');
    assert.equal(keyPrefix('a/b//'), 'a/b/');
    assert.equal(keyPrefix(keyPrefix('/a/b/')), 'a/b/', 'idempotent');
  });

  test('round trip: event and error file keys parse back to their stream, type and folder', () => {
    const at = new Date('2026-11-27T09:41:12.345Z');
    for (const prefix of ['', 'lake', '/t/x/']) {
      const event = parseKey(prefix, eventFileKey({ prefix, workerId: 'w-1', at, stream: 'web_app' }));
      assert.deepEqual(event, {
        table: 'events',
        stream: 'web_app',
        date: '2026-11-27',
        laneRoot: `${keyPrefix(prefix)}events/stream=web_app/`,
        folderTime: Date.parse('2026-11-27T09:00:00Z'),
      });
      for (const errorType of ['validation', 'processing'] as const) {
        const error = parseKey(keyPrefix(prefix), errorFileKey({ prefix, workerId: 'w-1', at, errorType }));
        assert.deepEqual(error, {
          table: 'errors',
          errorType,
          date: '2026-11-27',
          laneRoot: `${keyPrefix(prefix)}errors/`,
          folderTime: Date.parse('2026-11-27T00:00:00Z'),
        });
      }
      assert.equal(
        parseKey(prefix, replayLedgerKey(prefix, 'w-1', at)),
        undefined,
        'the ledger is never loaded',
      );
    }
  });

  test('file names are unique, and the given id names the file', () => {
    const at = new Date(0);
    const a = eventFileKey({ prefix: '', workerId: 'w', at, stream: 's' });
    assert.notEqual(a, eventFileKey({ prefix: '', workerId: 'w', at, stream: 's' }));
    assert.equal(
      eventFileKey({ prefix: 'p', workerId: 'w', at, stream: 's', id: 'x' }),
      'p/events/stream=s/date=1970-01-01/hour=00/w-x.parquet',
    );
  });
});
