// What the live page shows of one event: built from the ingest result after
// the WAL append, on the request's path, so it is plain synchronous work that
// copies a few short strings. Privacy by construction: without payloads an
// entry holds no property, trait, user id or email — only what identifies
// the event's kind and route (time, type, event name, source, stream, message
// id, status, reasons) — so nothing the page serves can leak them.
import { isJsonObject } from '@eventkit/shared/event';
import type { IngestResult } from '../../ingest/ingest.ts';

export interface LiveReason {
  code: string;
  message: string;
}

export interface LiveEntry {
  /** Position in the feed, 1, 2, …: the SSE event id, so a reconnecting page asks only for what it missed. */
  seq: number;
  /** When the gateway received the request (ISO-8601). */
  at: string;
  status: 'accepted' | 'rejected';
  /** track, identify, …; null when the item had none (or the whole request was refused). */
  type: string | null;
  /** A track's event, a page's or screen's name. */
  event: string | null;
  /** null when the request was refused before its write key was known. */
  source: string | null;
  stream: string | null;
  messageId: string | null;
  /** Why it was refused (rejected only): the codes and messages the client got. */
  reasons?: LiveReason[];
  /** The event as accepted, or the item as sent, as JSON (EVENTKIT_LIVE_EVENTS_PAYLOADS only; cut at PAYLOAD_CHARS). */
  payload?: string;
}

export type NewEntry = Omit<LiveEntry, 'seq'>;

/**
 * Characters of payload JSON an entry keeps. A refused item can be as large as
 * the request (EVENTKIT_MAX_REQUEST_BYTES); cut, the ring stays a few MB at most.
 */
export const PAYLOAD_CHARS = 4096;
/** Characters kept of a name or type the client chose (a refused item's can be any length). */
const NAME_CHARS = 200;

/**
 * The entries of one ingest request: its accepted events, then its refused
 * items; only the last `keep` of them, since no more could stay in the ring
 * (a 2,500-event batch with payloads on serialises 500 events, not 2,500).
 */
export function entriesOf(result: IngestResult, at: Date, payloads: boolean, keep: number): NewEntry[] {
  const iso = at.toISOString();
  const out: NewEntry[] = [];
  let skip = Math.max(0, result.accepted.length + result.deadLetters.length - keep);
  for (const { event, source, stream } of result.accepted) {
    if (skip > 0) {
      skip--;
      continue;
    }
    out.push({
      at: iso,
      status: 'accepted',
      type: event.type,
      event: nameOf(event),
      source,
      stream,
      messageId: event.messageId,
      ...(payloads ? { payload: payloadJson(event) } : {}),
    });
  }
  for (const letter of result.deadLetters) {
    if (skip > 0) {
      skip--;
      continue;
    }
    const item = letter.payload;
    out.push({
      at: iso,
      status: 'rejected',
      type: isJsonObject(item) ? short(item.type) : null,
      event: nameOf(item),
      source: letter.source ?? null,
      stream: letter.stream ?? null,
      messageId: letter.messageId ?? null,
      reasons: letter.reasons.map((r) => ({ code: r.code, message: r.message })),
      ...(payloads ? { payload: payloadJson(item) } : {}),
    });
  }
  return out;
}

/** A request refused as a whole (bad JSON, unknown write key, too many events, the WAL failing). */
export function refusedRequest(
  at: Date,
  reason: LiveReason,
  where: { source?: string | undefined; stream?: string | undefined },
): NewEntry {
  return {
    at: at.toISOString(),
    status: 'rejected',
    type: null,
    event: null,
    source: where.source ?? null,
    stream: where.stream ?? null,
    messageId: null,
    reasons: [reason],
  };
}

function nameOf(item: unknown): string | null {
  if (!isJsonObject(item)) return null;
  return short(item.event) ?? short(item.name);
}

function short(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value.slice(0, NAME_CHARS) : null;
}

function payloadJson(value: unknown): string {
  try {
    const json = JSON.stringify(value) ?? 'null';
    return json.length > PAYLOAD_CHARS ? `${json.slice(0, PAYLOAD_CHARS)}… (cut)` : json;
  } catch {
    return '(not serialisable)';
  }
}
