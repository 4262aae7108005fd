import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import {
  ERROR_CODES,
  ERROR_STATUS,
  errorBody,
  errorResponse,
  isErrorCode,
  RETRYABLE_ERROR_CODES,
} from './errors.ts';

describe('error envelope', () => {
  test('has the one shape every endpoint answers with', () => {
    const body = errorBody('payload_too_large', 'request body over the 500 KB limit', 'req-1');
    assert.deepEqual(body, {
      error: { code: 'payload_too_large', message: 'request body over the 500 KB limit', requestId: 'req-1' },
    });
    assert.equal(
      JSON.stringify(body),
      '{"error":{"code":"payload_too_large","message":"request body over the 500 KB limit","requestId":"req-1"}}',
    );
  });

  test('errorResponse pairs the body with its status', () => {
    assert.deepEqual(errorResponse('rate_limited', 'WAL backlog over its limit', 'r'), {
      status: 429,
      body: errorBody('rate_limited', 'WAL backlog over its limit', 'r'),
    });
  });
});

describe('status codes', () => {
  test('each code has the status clients expect', () => {
    assert.deepEqual(
      { ...ERROR_STATUS },
      {
        bad_request: 400,
        invalid_json: 400,
        payload_too_large: 413,
        too_many_events: 400,
        unauthorized: 401,
        rate_limited: 429,
        unavailable: 503,
        not_found: 404,
        validation_failed: 400,
        internal: 500,
      },
    );
    assert.deepEqual(Object.keys(ERROR_STATUS).sort(), [...ERROR_CODES].sort());
  });

  test('never a status that SDKs treat as permanent for something temporary (501, 505, 511)', () => {
    for (const status of Object.values(ERROR_STATUS)) assert.ok(![501, 505, 511].includes(status));
  });

  test('only 429 and 503 are retryable', () => {
    assert.deepEqual(
      RETRYABLE_ERROR_CODES.map((c) => ERROR_STATUS[c]),
      [429, 503],
    );
  });

  test('isErrorCode recognizes the list only', () => {
    assert.ok(isErrorCode('invalid_json'));
    assert.ok(!isErrorCode('teapot'));
    assert.ok(!isErrorCode(400));
  });
});
