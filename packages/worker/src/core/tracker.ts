// Per-message bookkeeping: a queue message may carry events for several
// partitions, so it can be acked only once every one of its events is durably
// written (or dead-lettered), wherever it went. Any failure settles it as a
// nack at once: Pub/Sub redelivers it whole, and the events already written
// are written again (harmless: sinks are idempotent per source + messageId).
import type { Disposition } from '@eventkit/shared/ports';

export class MessageTracker {
  readonly done: Promise<Disposition>;
  #remaining: number;
  #settled = false;
  #resolve!: (d: Disposition) => void;

  constructor(events: number) {
    this.#remaining = events;
    this.done = new Promise((resolve) => {
      this.#resolve = resolve;
    });
    if (events === 0) this.#settle('ack');
  }

  get settled(): boolean {
    return this.#settled;
  }

  /** `count` of its events are durable. */
  complete(count = 1): void {
    this.#remaining -= count;
    if (this.#remaining <= 0) this.#settle('ack');
  }

  /** One of its events could not be written: the message goes back to the queue. */
  fail(): void {
    this.#settle('nack');
  }

  #settle(d: Disposition): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#resolve(d);
  }
}
