// The dead letters the worker creates. Each keeps what is needed to find the
// request in the logs (stream, source, request id) and to replay it (the
// event, or the raw message bytes when they could not be read at all).
import {
  type DeadLetter,
  deadLetterId,
  type Reason,
  type RoutedEvent,
  reasonCodesPart,
} from '@eventkit/shared/event';
import type { QueueMessage } from '@eventkit/shared/ports';

function optional(fields: Record<string, unknown>): Partial<DeadLetter> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) if (typeof v === 'string' && v !== '') out[k] = v;
  return out as Partial<DeadLetter>;
}

/**
 * An event that failed validation (or that the sink can never store): kept with
 * the event as received. Its id derives from the source, the messageId (or,
 * for an event without one, `origin`: the queue message id and the event's
 * index, the same on every redelivery) and the reasons, so a redelivered
 * message or a replay that fails again names the same letter as before.
 */
export function eventLetter(
  routed: RoutedEvent,
  errorType: DeadLetter['errorType'],
  reasons: Reason[],
  failedAt: Date,
  origin: string,
): DeadLetter {
  const event = (typeof routed.event === 'object' && routed.event !== null ? routed.event : {}) as Record<
    string,
    unknown
  >;
  const messageId =
    typeof event.messageId === 'string' && event.messageId !== '' ? event.messageId : undefined;
  return {
    id: deadLetterId(
      errorType,
      String(routed.source ?? ''),
      messageId ?? `origin:${origin}`,
      reasonCodesPart(reasons),
    ),
    errorType,
    reasons,
    failedAt: failedAt.toISOString(),
    ...optional({
      stream: routed.stream,
      source: routed.source,
      requestId: routed.requestId,
      receivedAt: event.receivedAt,
      messageId: event.messageId,
    }),
    payload: routed.event,
  };
}

/** A whole queue message kept as raw bytes (undecodable, or poison): `processing`. */
export function messageLetter(message: QueueMessage, reasons: Reason[], failedAt: Date): DeadLetter {
  return {
    // The queue's message id is the same on every redelivery.
    id: deadLetterId('message', message.id, reasonCodesPart(reasons)),
    errorType: 'processing',
    reasons,
    failedAt: failedAt.toISOString(),
    ...optional({ stream: message.attributes.stream, requestId: message.attributes.request_id }),
    raw: Buffer.from(message.data).toString('base64'),
  };
}
