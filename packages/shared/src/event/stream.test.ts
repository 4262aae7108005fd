import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { isValidStreamName, STREAM_NAME_RULE, streamForType } from './stream.ts';
import { EVENT_TYPES } from './types.ts';

describe('streamForType', () => {
  test('routes as the seed project did: identify → users, page → pages, the rest → events', () => {
    const routes = Object.fromEntries(EVENT_TYPES.map((type) => [type, streamForType(type)]));
    assert.deepEqual(routes, {
      track: 'events',
      identify: 'users',
      page: 'pages',
      screen: 'events',
      group: 'events',
      alias: 'events',
    });
  });

  test('every default stream is a valid stream name', () => {
    for (const type of EVENT_TYPES) assert.ok(isValidStreamName(streamForType(type)));
  });
});

describe('isValidStreamName', () => {
  test('accepts lowercase names of letters, digits, _ and -, up to 64 characters', () => {
    for (const name of ['events', 'users', 'checkout_v2', 'web-app', '2026', 'a', 'a'.repeat(64)]) {
      assert.equal(isValidStreamName(name), true, name);
    }
  });

  test('refuses what would be unsafe or ambiguous as a path segment or Firestore id', () => {
    const refused = [
      '',
      'Events',
      'a'.repeat(65),
      'a/b',
      '..',
      'a.b',
      'a b',
      '__events__',
      '-rf',
      'café',
      'stream=x',
      'a\n',
    ];
    for (const name of refused) assert.equal(isValidStreamName(name), false, JSON.stringify(name));
    for (const value of [null, undefined, 42, ['events']]) assert.equal(isValidStreamName(value), false);
  });

  test('STREAM_NAME_RULE states the rule for error messages', () => {
    assert.match(STREAM_NAME_RULE, /1–64 characters/);
  });
});
