// Accepted events and dead letters as WAL rows: one row each, the event (or
// the letter) as JSON, stamped with the time the request was received.
import { DEAD_LETTER_STREAM } from '@eventkit/shared/envelope';
import type { DeadLetter } from '@eventkit/shared/event';
import type { IngestResult } from '../ingest/ingest.ts';
import type { WalRowInput } from './store.ts';

export function toWalRows(result: IngestResult, receivedAt: number): WalRowInput[] {
  const rows: WalRowInput[] = result.accepted.map((r) => ({
    stream: r.stream,
    source: r.source,
    requestId: r.requestId,
    type: r.event.type,
    payload: JSON.stringify(r.event),
    receivedAt,
  }));
  for (const letter of result.deadLetters) {
    rows.push({
      stream: DEAD_LETTER_STREAM,
      source: letter.source ?? '',
      requestId: letter.requestId ?? '',
      type: 'dead_letter',
      payload: letterJson(letter),
      receivedAt,
    });
  }
  return rows;
}

/**
 * A dead letter as JSON. Its payload is what the client sent, which ingest
 * already cut when it could not be serialised; should one still fail, the
 * letter is kept without it (and says so) rather than failing the request
 * with a 5xx for bad input.
 */
function letterJson(letter: DeadLetter): string {
  try {
    return JSON.stringify(letter);
  } catch {
    const { payload: _dropped, ...rest } = letter;
    return JSON.stringify({
      ...rest,
      reasons: [
        ...letter.reasons,
        {
          code: 'payload_not_kept',
          message: 'the event could not be written as JSON, so the letter holds no copy',
        },
      ],
    });
  }
}
