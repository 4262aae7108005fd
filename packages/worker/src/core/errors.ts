// Errors a sink throws to tell the worker something other than "try again".
import type { Reason } from '@eventkit/shared';

/**
 * Some events of a batch can never be written by this sink (e.g. a value the
 * store cannot represent), whatever the retries. Thrown before anything of
 * the batch is written; the worker dead-letters the listed events as
 * `processing` errors and writes the rest. Transient failures must never be
 * reported this way.
 */
export class EventsRejectedError extends Error {
  /** Indexes into the batch's events, each with why. */
  readonly rejected: readonly { index: number; reason: Reason }[];
  constructor(rejected: readonly { index: number; reason: Reason }[]) {
    super(`${rejected.length} event(s) cannot be stored by this sink`);
    this.name = 'EventsRejectedError';
    this.rejected = rejected;
  }
}
