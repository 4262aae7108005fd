// Which dead letters `dlq replay` already re-published, so a second replay
// skips them. Replays are safe to repeat anyway (events keep their messageId,
// and the sinks and the warehouse deduplicate on source + messageId); the
// ledger keeps a replay from re-publishing, and re-counting, the same letters.
import type { DeadLetterStore } from '@eventkit/shared/ports';

export interface ReplayLedger {
  /** Ids of every letter already replayed. */
  replayed(): Promise<Set<string>>;
  /** Records letters as replayed (after their events were published). */
  recordReplayed(ids: readonly string[]): Promise<void>;
}

export type ReplayableDeadLetterStore = DeadLetterStore & ReplayLedger;
