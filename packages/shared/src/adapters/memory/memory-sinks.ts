// In-memory event sink and dead-letter store: for unit tests of the roles and
// as the reference the contract suites are checked against.
import type { DeadLetter } from '../../event/types.ts';
import type { DeadLetterFilter, DeadLetterStore } from '../../ports/dead-letter.ts';
import type { EventBatch, EventSink, WriteReceipt } from '../../ports/event-sink.ts';

/** Lets a test make the next writes fail, to exercise retries. */
export class FaultSwitch {
  #failures = 0;
  #error = 'injected failure';
  failNext(count: number, message = 'injected failure'): void {
    this.#failures = count;
    this.#error = message;
  }
  trip(): void {
    if (this.#failures > 0) {
      this.#failures--;
      throw new Error(this.#error);
    }
  }
}

export class MemoryEventSink implements EventSink {
  readonly kind = 'memory';
  readonly faults = new FaultSwitch();
  readonly batches: EventBatch[] = [];

  async write(batch: EventBatch): Promise<WriteReceipt> {
    this.faults.trip();
    this.batches.push({ ...batch, events: [...batch.events] });
    return {
      count: batch.events.length,
      location: `memory://${batch.stream}/${batch.partition}/${this.batches.length}`,
    };
  }

  /** Every event written, in write order (duplicates included). */
  events() {
    return this.batches.flatMap((b) => b.events);
  }

  async check(): Promise<void> {}
  async close(): Promise<void> {}
}

export class MemoryDeadLetterStore implements DeadLetterStore {
  readonly faults = new FaultSwitch();
  readonly letters: DeadLetter[] = [];

  async write(letters: readonly DeadLetter[]): Promise<void> {
    this.faults.trip();
    this.letters.push(...letters.map((l) => structuredClone(l)));
  }

  async *scan(filter: DeadLetterFilter = {}): AsyncIterable<DeadLetter> {
    const matching = this.letters
      .filter((l) => !filter.errorType || l.errorType === filter.errorType)
      .filter((l) => !filter.since || Date.parse(l.failedAt) >= filter.since.getTime())
      .sort((a, b) => Date.parse(a.failedAt) - Date.parse(b.failedAt));
    yield* matching;
  }
}
