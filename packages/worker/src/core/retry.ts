// Sink and dead-letter writes are retried until they succeed or the worker
// shuts down: an outage of the bucket or of Firestore must never turn events
// into dead letters. Meanwhile the messages stay unacknowledged (the Pub/Sub
// client extends their leases), the partition fills up and backpressure stops
// the pulling: the backlog waits in Pub/Sub, not in memory. The policy is the
// shared one (`retryForever`, also used by the gateway's publisher).
export { RetryAbortedError as AbortedError, retryForever as retryUntilAborted } from '@eventkit/shared';
