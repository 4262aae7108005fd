import assert from 'node:assert/strict';
import { RetryAbortedError } from '@eventkit/shared/retry';
import { describe, test } from 'vitest';
import { abortable } from './abortable.ts';

// The relay's drain test once failed on a busy machine with an
// "UNAVAILABLE: injected" rejection escaping after the deadline: the publish
// was started (as an argument) after shutdown had aborted the signal, and the
// early-abort path left its rejection unhandled. These pin the rules down
// without timing.
describe('abortable', () => {
  test('after the abort, the call is never started, so its failure cannot go unhandled', async () => {
    const abort = new AbortController();
    abort.abort();
    let started = false;
    await assert.rejects(
      abortable(async () => {
        started = true;
        throw new Error('UNAVAILABLE: injected');
      }, abort.signal),
      RetryAbortedError,
    );
    assert.equal(started, false);
  });

  test('an abort while the call hangs rejects at once; the call failing later is handled (no unhandled rejection)', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const abort = new AbortController();
      let fail: (e: Error) => void = () => {};
      const waiting = abortable(
        () =>
          new Promise<string>((_, reject) => {
            fail = reject;
          }),
        abort.signal,
      );
      abort.abort();
      await assert.rejects(waiting, RetryAbortedError);
      fail(new Error('UNAVAILABLE: injected'));
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  test('without an abort it settles as the call does', async () => {
    const signal = new AbortController().signal;
    assert.equal(await abortable(async () => 'ok', signal), 'ok');
    await assert.rejects(
      abortable(async () => {
        throw new Error('down');
      }, signal),
      /down/,
    );
  });
});
