import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { firestoreDocId, firestoreRepresentable } from './firestore.ts';

describe('Firestore document ids', () => {
  test('source and messageId, percent-encoded: readable, no "/", distinct per source', () => {
    assert.equal(firestoreDocId('web', '3f1c-uuid'), 'web:3f1c-uuid');
    assert.equal(firestoreDocId('web', 'a/b:c%'), 'web:a%2Fb%3Ac%25');
    assert.notEqual(firestoreDocId('web', 'x'), firestoreDocId('ios', 'x'));
    assert.notEqual(firestoreDocId('web', 'a/b'), firestoreDocId('web', 'a%2Fb'));
  });

  test('a hash when the id would be too long for Firestore or is not valid Unicode', () => {
    const long = firestoreDocId('web', '☃'.repeat(200));
    assert.match(long, /^web:sha256:[0-9a-f]{64}$/);
    assert.match(firestoreDocId('web', '\ud800'), /^web:sha256:/);
    assert.notEqual(firestoreDocId('web', '\ud800'), firestoreDocId('web', '\udc00'));
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
