// The dead letters the worker creates. Each keeps what is needed to find the
// request in the logs (stream, source, request id) and to replay it (the
// event, or the raw message bytes when they could not be read at all).
import { randomUUID } from 'node:crypto';
import type { DeadLetter, QueueMessage, Reason, RoutedEvent } from '@eventkit/shared';

function optional(fields: Record<string, unknown>): Partial<DeadLetter> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) if (typeof v === 'string' && v !== '') out[k] = v;
  return out as Partial<DeadLetter>;
}

/** An event that failed validation (or that the sink can never store): kept with the event as received. */
export function eventLetter(
  routed: RoutedEvent,
  errorType: DeadLetter['errorType'],
  reasons: Reason[],
  failedAt: Date,
): DeadLetter {
  const event = (typeof routed.event === 'object' && routed.event !== null ? routed.event : {}) as Record<
    string,
    unknown
  >;
  return {
    id: randomUUID(),
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
    id: randomUUID(),
    errorType: 'processing',
    reasons,
    failedAt: failedAt.toISOString(),
    ...optional({ stream: message.attributes.stream, requestId: message.attributes.request_id }),
    raw: Buffer.from(message.data).toString('base64'),
  };
}
