// Re-validating and adapting each event the worker takes from the queue.
//
// The worker does not trust its input: an envelope may come from an older or
// newer gateway, a replay, or a hand-written publisher. Each event goes
// through the shared schema again (validateEvent), must carry what only the
// gateway adds (messageId, receivedAt) and a source and stream that are safe
// in object keys and document ids, and is then normalised again (idempotent
// for what a gateway produced; canonical ISO times for everything else).
import {
  isValidStreamName,
  normalizeEvent,
  parseEventTime,
  type Reason,
  type RoutedEvent,
  STREAM_NAME_RULE,
  validateEvent,
} from '@eventkit/shared/event';

/** Same rule as the write-key sources in the settings table: they end up in keys and document ids. */
const SOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/**
 * The gateway checks the client's event against the limit; normalisation then
 * adds fields (receivedAt, messageId, times), so the worker allows that much
 * more before it calls an event too large.
 */
export const NORMALIZATION_SLACK_BYTES = 1024;

export type Adapted =
  | { ok: true; routed: RoutedEvent; bytes: number }
  | { ok: false; reasons: Reason[]; bytes: number };

export function adaptEvent(routed: RoutedEvent, maxEventBytes: number): Adapted {
  let text: string | undefined;
  try {
    text = JSON.stringify(routed.event);
  } catch {
    text = undefined;
  }
  const bytes = text === undefined ? 0 : Buffer.byteLength(text, 'utf8');
  const validation = validateEvent(routed.event, {
    maxEventBytes: maxEventBytes + NORMALIZATION_SLACK_BYTES,
    ...(text === undefined ? {} : { measuredBytes: bytes }),
  });
  const reasons: Reason[] = validation.ok ? [] : [...validation.reasons];
  const event = routed.event as unknown as Record<string, unknown>;
  if (typeof event !== 'object' || event === null) return { ok: false, reasons, bytes };

  if (typeof event.messageId !== 'string' || event.messageId === '') {
    if (!reasons.some((r) => r.code === 'invalid_message_id')) {
      reasons.push({
        code: 'missing_message_id',
        message: 'the event has no messageId (the gateway assigns one to every event)',
        path: 'messageId',
      });
    }
  }
  const receivedAt = parseEventTime(event.receivedAt);
  if (receivedAt === undefined) {
    reasons.push({
      code: 'invalid_received_at',
      message: 'the event has no readable receivedAt (the gateway stamps one on every event)',
      path: 'receivedAt',
    });
  }
  if (typeof routed.source !== 'string' || !SOURCE_NAME.test(routed.source)) {
    reasons.push({
      code: 'invalid_source',
      message: 'the source name must be 1–64 letters, digits, ".", "_" or "-"',
    });
  }
  if (!isValidStreamName(routed.stream)) {
    reasons.push({ code: 'invalid_stream', message: `the stream name must be ${STREAM_NAME_RULE}` });
  }
  if (!validation.ok || reasons.length > 0 || receivedAt === undefined) return { ok: false, reasons, bytes };

  const normalized = normalizeEvent(validation.event, { receivedAt: new Date(receivedAt) });
  return {
    ok: true,
    routed: {
      event: normalized,
      source: routed.source,
      stream: routed.stream,
      requestId: typeof routed.requestId === 'string' ? routed.requestId : '',
    },
    bytes,
  };
}
