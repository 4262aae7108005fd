// "Retry until it works or we are shutting down": the policy of every write
// eventkit must not give up on (the gateway's publishes, the worker's sink and
// dead-letter writes). Built on p-retry (exponential backoff with jitter), with
// one difference that matters here: p-retry never retries a TypeError that is
// not a network error, and a client library's TypeError must not end the
// retries of a write that carries acknowledged events.
import pRetry, { AbortError } from 'p-retry';

export class RetryAbortedError extends Error {
  constructor(message = 'stopped retrying: shutting down') {
    super(message);
    this.name = 'RetryAbortedError';
  }
}

export interface RetryForeverOptions {
  /** Aborting it ends the retries (the promise rejects with RetryAbortedError). */
  signal: AbortSignal;
  /** First delay (default 100 ms); doubles per attempt, up to maxDelayMs (default 30 s), randomised ×1–2. */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Called after each failed attempt, before the wait. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  /** Failures the caller handles itself: rethrown at once, as they are. */
  isFatal?: (err: unknown) => boolean;
}

export async function retryForever<T>(
  fn: (attempt: number) => Promise<T>,
  o: RetryForeverOptions,
): Promise<T> {
  if (o.signal.aborted) throw new RetryAbortedError();
  try {
    return await pRetry(
      async (attempt) => {
        try {
          return await fn(attempt);
        } catch (err) {
          if (o.isFatal?.(err)) throw new AbortError(err as Error);
          if (err instanceof TypeError) throw new Error(err.message, { cause: err });
          throw err;
        }
      },
      {
        retries: Number.POSITIVE_INFINITY,
        factor: 2,
        minTimeout: o.minDelayMs ?? 100,
        maxTimeout: o.maxDelayMs ?? 30_000,
        randomize: true,
        signal: o.signal,
        onFailedAttempt: ({ error, attemptNumber, retryDelay }) =>
          o.onRetry?.(error, attemptNumber, retryDelay),
      },
    );
  } catch (err) {
    if (o.signal.aborted) throw new RetryAbortedError();
    throw err;
  }
}
