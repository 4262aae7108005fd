// Retrying a write until it succeeds or the worker gives up (shutdown deadline).
//
// Sink failures are treated as transient: an outage of the bucket or of
// Firestore must never turn events into dead letters, so the worker retries,
// with exponential backoff and jitter, for as long as it runs. Meanwhile the
// messages stay unacknowledged (the Pub/Sub client extends their leases), the
// partition fills up and backpressure stops the pulling: the backlog waits in
// Pub/Sub, not in memory. (A tiny loop rather than p-retry, which is not a
// dependency of this package: the policy here is "forever until aborted".)

export interface BackoffOptions {
  /** First delay (default 100 ms); doubles per attempt. */
  minDelayMs?: number;
  /** Longest delay (default 30 s). */
  maxDelayMs?: number;
}

export class AbortedError extends Error {
  constructor(message = 'gave up: the worker is shutting down') {
    super(message);
    this.name = 'AbortedError';
  }
}

/** Delay before retry number `attempt` (1-based): min × 2^(attempt−1), capped, with ±25 % jitter. */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const min = options.minDelayMs ?? 100;
  const max = options.maxDelayMs ?? 30_000;
  const base = Math.min(max, min * 2 ** Math.min(attempt - 1, 30));
  return Math.round(base * (0.75 + Math.random() * 0.5));
}

/** Resolves after `ms`, or rejects with AbortedError as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortedError());
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortedError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface RetryOptions extends BackoffOptions {
  signal: AbortSignal;
  /** Called before each wait, with the failure and the number of the attempt that failed. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  /** Errors the caller handles itself are rethrown at once (default: retry everything). */
  isFatal?: (err: unknown) => boolean;
}

/** Runs `fn` until it resolves; rejects only with a fatal error or AbortedError. */
export async function retryUntilAborted<T>(
  fn: (attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    if (options.signal.aborted) throw new AbortedError();
    try {
      return await fn(attempt);
    } catch (err) {
      if (options.isFatal?.(err)) throw err;
      if (options.signal.aborted) throw new AbortedError();
      const delay = backoffDelay(attempt, options);
      options.onRetry?.(err, attempt, delay);
      await sleep(delay, options.signal);
    }
  }
}
