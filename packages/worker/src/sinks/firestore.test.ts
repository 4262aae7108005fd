import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { sampleEvent } from '@eventkit/shared/contracts';
import { Timestamp } from '@google-cloud/firestore';
import { describe, test } from 'vitest';
import {
  eventDocument,
  FIRESTORE_BATCH_LIMIT,
  firestoreDocId,
  firestoreRepresentable,
  legacyFirestoreDocId,
  planCommits,
  UNINDEXED_EVENT_FIELDS,
} from './firestore.ts';
import { storedDocumentBytes } from './firestore-size.ts';

// Bug 7 (issue 9): ids that grow with time make a hotspot. "Do not use monotonically
// increasing document IDs" — https://cloud.google.com/firestore/docs/best-practices#document_ids
describe('Firestore document ids', () => {
  test('a SHA-256 of source and messageId: the same on every delivery, distinct per source', () => {
    const id = firestoreDocId('web', '3f1c-uuid');
    assert.match(id, /^[0-9a-f]{64}$/);
    assert.equal(firestoreDocId('web', '3f1c-uuid'), id);
    assert.notEqual(firestoreDocId('web', 'x'), firestoreDocId('ios', 'x'));
    assert.notEqual(firestoreDocId('web', 'a/b'), firestoreDocId('web', 'a%2Fb'));
    assert.notEqual(firestoreDocId('web', '\ud800'), firestoreDocId('web', '\udc00'));
    assert.match(firestoreDocId('web', '☃'.repeat(2000)), /^[0-9a-f]{64}$/);
  });

  test('ids of time-ordered messageIds (analytics.js ajs-next-<ms>-…) spread over the key range', () => {
    const ids = Array.from({ length: 1000 }, (_, i) =>
      firestoreDocId('web', `ajs-next-${1_764_000_000_000 + i}-0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d`),
    );
    const sorted = [...ids].sort();
    assert.notDeepEqual(sorted, ids, 'ids must not grow with the messageId');
    const firstChars = new Set(ids.map((id) => id[0]));
    assert.equal(firstChars.size, 16, 'every leading hex digit is used');
    // consecutive writes land far apart: no shared 3-character prefix between neighbours
    const neighbours = ids.slice(1).filter((id, i) => id.slice(0, 3) === ids[i]!.slice(0, 3));
    assert.ok(neighbours.length < 10, `${neighbours.length} neighbours share a prefix`);
  });

  test('the former ids stay computable (to find documents written before the change)', () => {
    assert.equal(legacyFirestoreDocId('web', '3f1c-uuid'), 'web:3f1c-uuid');
    assert.equal(legacyFirestoreDocId('web', 'a/b:c%'), 'web:a%2Fb%3Ac%25');
    assert.match(legacyFirestoreDocId('web', '☃'.repeat(200)), /^web:sha256:[0-9a-f]{64}$/);
    assert.ok(!firestoreDocId('web', '3f1c-uuid').includes(':'), 'a new id never looks like a former one');
  });
});

describe('what Firestore can store natively', () => {
  test('refuses arrays in arrays, empty and reserved keys, and nesting deeper than Firestore allows', () => {
    assert.equal(firestoreRepresentable({ a: [{ b: [1] }], 'c.d': 1, e: null }), true);
    assert.equal(firestoreRepresentable({ a: [[1]] }), false);
    assert.equal(firestoreRepresentable({ '': 1 }), false);
    assert.equal(firestoreRepresentable({ a: { __x__: 1 } }), false);
    assert.equal(firestoreRepresentable(JSON.parse(`${'{"a":'.repeat(25)}1${'}'.repeat(25)}`)), false);
  });
});

// https://cloud.google.com/firestore/docs/storage-size (the page's worked example)
describe('document storage size', () => {
  test('follows Firestore’s storage-size rules: the documented example is 147 bytes', () => {
    const data = { type: 'Personal', done: false, priority: 1, description: 'Learn Cloud Firestore' };
    assert.equal(storedDocumentBytes('users/jeff/tasks/my_task_id', data), 147);
  });

  test('maps and arrays count their parts; times 8 bytes', () => {
    const at = Timestamp.fromMillis(0);
    assert.equal(storedDocumentBytes('c/d', { m: { a: 'xy' } }), 2 + 2 + 16 + (2 + (2 + 3)) + 32);
    assert.equal(
      storedDocumentBytes('c/d', { r: [at, null, true, 1, 1.5] }),
      20 + 2 + 8 + 1 + 1 + 8 + 8 + 32,
    );
  });
});

// Bug 6 (issue 9): "Maximum API request size: 10 MiB" — https://cloud.google.com/firestore/quotas
describe('cutting a batch into commits', () => {
  test('by bytes: a batch exactly at the bound is one commit, one byte over is two', () => {
    const bytes = [400, 300, 300];
    assert.deepEqual(planCommits(bytes, 24, 1024), [[0, 1, 2]]);
    assert.deepEqual(planCommits(bytes, 24, 1023), [[0, 1], [2]]);
  });

  test('1,000 events of 20 KB are not two commits of 10 MB', () => {
    const commits = planCommits(Array(1000).fill(20_500), 100, 4 * 1024 * 1024 - 64 * 1024);
    assert.ok(commits.length >= 5, `${commits.length} commits`);
    for (const c of commits) assert.ok(c.length * 20_500 + 100 <= 4 * 1024 * 1024 - 64 * 1024);
    assert.deepEqual(commits.flat(), [...Array(1000).keys()]);
  });

  test('by count: at most 500 writes per commit; a write larger than the bound goes alone', () => {
    assert.deepEqual(
      planCommits(Array(1001).fill(1), 0, 1e9).map((c) => c.length),
      [FIRESTORE_BATCH_LIMIT, FIRESTORE_BATCH_LIMIT, 1],
    );
    assert.deepEqual(planCommits([10, 5000, 10], 0, 100), [[0], [1], [2]]);
  });
});

// Bug 7 (issue 9): "Maximum write rate to a collection in which documents contain sequential
// values in an indexed field: 500 per second" — https://cloud.google.com/firestore/quotas (soft
// limits); index exemptions — https://firebase.google.com/docs/reference/firestore/indexes
describe('index exemptions', () => {
  const root = new URL('../../../../', import.meta.url);
  const config = JSON.parse(
    readFileSync(new URL('deploy/firestore/firestore.indexes.json', root), 'utf8'),
  ) as {
    indexes: unknown[];
    fieldOverrides: { collectionGroup: string; fieldPath: string; indexes: unknown[] }[];
  };

  test('deploy/firestore/firestore.indexes.json disables every index of the unindexed event fields', () => {
    assert.deepEqual(config.indexes, []);
    const exempt = config.fieldOverrides
      .filter((o) => o.collectionGroup === 'events' && o.indexes.length === 0)
      .map((o) => o.fieldPath)
      .sort();
    assert.deepEqual(exempt, [...UNINDEXED_EVENT_FIELDS].sort());
  });

  test('every field the sink writes is either exempt or one of the few kept for lookups', () => {
    const plain = Object.keys(eventDocument(sampleEvent(1)));
    const odd = sampleEvent(2);
    odd.event = { ...odd.event, properties: { m: [[1]] } };
    const fields = new Set([...plain, ...Object.keys(eventDocument(odd))]);
    const indexed = [...fields].filter((f) => !(UNINDEXED_EVENT_FIELDS as readonly string[]).includes(f));
    assert.deepEqual(indexed.sort(), ['source', 'stream', 'type']);
  });

  test('the worker README gives the same exemptions as gcloud commands', () => {
    const readme = readFileSync(new URL('packages/worker/README.md', root), 'utf8');
    for (const field of UNINDEXED_EVENT_FIELDS) {
      assert.ok(
        readme.includes(
          `gcloud firestore indexes fields update ${field} --collection-group=events --disable-indexes`,
        ),
        `README lacks the gcloud command for ${field}`,
      );
    }
  });
});
