import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { RetryAbortedError, retryForever } from './retry-forever.ts';

const fast = { minDelayMs: 1, maxDelayMs: 2 };

describe('retryForever', () => {
  test('retries every failure, a TypeError from a client library included, until it works', async () => {
    let calls = 0;
    const retries: number[] = [];
    const result = await retryForever(
      async () => {
        calls++;
        if (calls === 1) throw new TypeError('Cannot read properties of undefined');
        if (calls < 4) throw new Error('UNAVAILABLE');
        return 'written';
      },
      { signal: new AbortController().signal, ...fast, onRetry: (_e, attempt) => retries.push(attempt) },
    );
    assert.equal(result, 'written');
    assert.equal(calls, 4);
    assert.deepEqual(retries, [1, 2, 3]);
  });

  test('stops with RetryAbortedError when the signal aborts, mid-wait or before starting', async () => {
    const abort = new AbortController();
    const pending = retryForever(
      async () => {
        throw new Error('down');
      },
      { signal: abort.signal, minDelayMs: 10_000, maxDelayMs: 10_000 },
    );
    setTimeout(() => abort.abort(), 20);
    await assert.rejects(pending, RetryAbortedError);
    await assert.rejects(
      retryForever(async () => 1, { signal: abort.signal }),
      RetryAbortedError,
    );
  });

  test('rethrows a fatal failure as it is, without retrying', async () => {
    let calls = 0;
    const fatal = new RangeError('the caller handles this');
    await assert.rejects(
      retryForever(
        async () => {
          calls++;
          throw fatal;
        },
        { signal: new AbortController().signal, ...fast, isFatal: (e) => e === fatal },
      ),
      (e) => e === fatal,
    );
    assert.equal(calls, 1);
  });
});
