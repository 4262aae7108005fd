// Waiting on a call that may hang (a publish inside the Pub/Sub client, with
// its own retries against an unreachable endpoint) without letting it hold up a
// shutdown.
import { RetryAbortedError } from '@eventkit/shared/retry';

/**
 * Calls `start` and settles with its result, or rejects with RetryAbortedError
 * as soon as `signal` aborts. When the signal has already aborted, `start` is
 * not called at all: a call started then would have no one to handle its
 * failure, and an unhandled rejection ends a Node process. A call that was
 * started keeps its handlers, so its late failure is always handled.
 */
export function abortable<T>(start: () => Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new RetryAbortedError('relay stopped'));
  const promise = start();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new RetryAbortedError('relay stopped'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
