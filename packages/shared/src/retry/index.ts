export { RetryAbortedError, type RetryForeverOptions, retryForever } from './retry-forever.ts';
