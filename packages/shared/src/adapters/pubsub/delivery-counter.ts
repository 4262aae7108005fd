// Counts deliveries of a message when Pub/Sub does not.
//
// Pub/Sub fills in `deliveryAttempt` only on subscriptions with a dead-letter
// policy; otherwise (and on the emulator without one) it is 0. The worker
// needs the count to recognise a poison message, so the subscriber counts the
// deliveries it has seen itself, per message id, in a bounded LRU map.
//
// Limits, by design: the count is per process (a redelivery to another worker,
// or after a restart, starts again at 1) and an id evicted from the map starts
// again too. A message that fails on every worker is therefore still caught
// (each worker sees it several times), but one that crashes its worker every
// time is only caught by a subscription dead-letter policy, which makes
// Pub/Sub count across processes; the server's count is used whenever present.
export class DeliveryCounter {
  readonly #capacity: number;
  readonly #counts = new Map<string, number>();

  constructor(capacity = 50_000) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('capacity must be a positive integer');
    this.#capacity = capacity;
  }

  /** Records a delivery of `id` and returns its number (1 on the first one). */
  delivered(id: string, serverAttempt?: number | null): number {
    const seen = (this.#counts.get(id) ?? 0) + 1;
    // Re-insert so the most recently seen ids are the last to be evicted.
    this.#counts.delete(id);
    this.#counts.set(id, seen);
    if (this.#counts.size > this.#capacity) {
      const oldest = this.#counts.keys().next().value;
      if (oldest !== undefined) this.#counts.delete(oldest);
    }
    return serverAttempt && serverAttempt > 0 ? serverAttempt : seen;
  }

  /** Forgets `id` (after an ack it is not coming back). */
  settled(id: string): void {
    this.#counts.delete(id);
  }

  get size(): number {
    return this.#counts.size;
  }
}
