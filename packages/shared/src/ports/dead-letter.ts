// Where events that cannot be processed go, with why. Never dropped: they can
// be listed, inspected and replayed.
import type { DeadLetter, ErrorType } from '../event/types.ts';

export interface DeadLetterSink {
  /** Durably stores the dead letters; same durability promise as EventSink.write. */
  write(letters: readonly DeadLetter[]): Promise<void>;
}

export interface DeadLetterFilter {
  /** Only letters that failed at or after this time. */
  since?: Date;
  errorType?: ErrorType;
}

export interface DeadLetterStore extends DeadLetterSink {
  /** Every stored letter matching the filter, oldest first. */
  scan(filter?: DeadLetterFilter): AsyncIterable<DeadLetter>;
}
