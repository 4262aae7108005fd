import assert from 'node:assert/strict';
import { keyPrefix, parseKey, streamRoot } from '@eventkit/shared/layout';
import { describe, test } from 'vitest';
import { afterStream, folderStartKey } from './layout.ts';

describe('object layout', () => {
  test('parses event and dead-letter keys into their lane and folder time', () => {
    assert.deepEqual(parseKey('', 'events/stream=web/date=2026-11-27/hour=09/w1-a.parquet'), {
      table: 'events',
      stream: 'web',
      date: '2026-11-27',
      laneRoot: 'events/stream=web/',
      folderTime: Date.parse('2026-11-27T09:00:00Z'),
    });
    assert.deepEqual(parseKey('t/', 't/errors/date=2026-11-27/error_type=processing/w1-a.ndjson'), {
      table: 'errors',
      errorType: 'processing',
      date: '2026-11-27',
      laneRoot: 't/errors/',
      folderTime: Date.parse('2026-11-27T00:00:00Z'),
    });
  });

  test('anything else is not a file of the layout', () => {
    for (const key of [
      'events/stream=web/date=2026-11-27/hour=24/w.parquet',
      'events/stream=web/date=2026-02-30/hour=01/w.parquet',
      'events/stream=web/date=2026-11-27/hour=01/w.ndjson',
      'events/stream=Web/date=2026-11-27/hour=01/w.parquet',
      'events/stream=web/date=2026-11-27/hour=01/sub/w.parquet',
      'errors/date=2026-11-27/error_type=other/w.ndjson',
      'other/events/stream=web/date=2026-11-27/hour=01/w.parquet',
    ]) {
      assert.equal(parseKey('', key), undefined, key);
    }
    assert.equal(parseKey('p/', 'events/stream=web/date=2026-11-27/hour=01/w.parquet'), undefined);
  });

  test('prefixes are normalized to end in one slash', () => {
    assert.equal(keyPrefix(''), '');
    assert.equal(keyPrefix('tenant'), 'tenant/');
    assert.equal(keyPrefix('a/b//'), 'a/b/');
  });

  test('folder start keys sort before every key of the folder and after every earlier one', () => {
    const start = folderStartKey('events', 'events/stream=web/', Date.parse('2026-11-27T09:30:00Z'));
    assert.equal(start, 'events/stream=web/date=2026-11-27/hour=09/');
    assert.ok('events/stream=web/date=2026-11-27/hour=09/a.parquet' > start);
    assert.ok('events/stream=web/date=2026-11-27/hour=08/z.parquet' < start);
    assert.equal(
      folderStartKey('errors', 'errors/', Date.parse('2026-11-27T09:30:00Z')),
      'errors/date=2026-11-27/',
    );
  });

  test('the skip-scan key passes all of a stream and none of a later one', () => {
    const names = ['a', 'a-b', 'a_b', 'a0', 'a9', 'ab', 'b', 'a-', 'a--x', 'z9_-'];
    for (const s of names) {
      const skip = afterStream('', s);
      assert.ok(`${streamRoot('', s)}date=9999-12-31/hour=23/zzz.parquet` < skip, s);
      for (const t of names) {
        if (streamRoot('', t) > streamRoot('', s))
          assert.ok(`${streamRoot('', t)}` > skip, `${t} after ${s}`);
      }
    }
  });
});
