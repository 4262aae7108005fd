// The gateway's core decision for one request: which events are accepted into
// which stream, and which are refused and why. Plain data in, plain data out;
// no HTTP, no storage.
import { randomUUID } from 'node:crypto';
import {
  type DeadLetter,
  deadLetterId,
  depthLimited,
  EVENT_TYPES,
  type EventType,
  isJsonObject,
  MAX_MESSAGE_ID_LENGTH,
  normalizeEvent,
  type Reason,
  type RoutedEvent,
  reasonCodesPart,
  streamForType,
  validateEvent,
} from '@eventkit/shared/event';
import { enrichEvent, type RequestFacts } from './enrich.ts';

/** Levels of an unserialisable event a dead letter keeps (JSON.stringify is fine far deeper). */
const LETTER_PAYLOAD_DEPTH = 64;

/** How the request's route decides the stream of its events. */
export type StreamRule =
  /** `/collect/:stream`: every event goes to this stream. */
  | { kind: 'fixed'; stream: string }
  /** Segment routes: each event's type picks its stream (identify → users, page → pages, else events). */
  | { kind: 'by-type' };

export interface IngestRequest {
  items: readonly unknown[];
  rule: StreamRule;
  /** `/v1/track` etc.: the type implied by the route when the body has none. */
  impliedType?: EventType;
  /** Batch-level fields that apply to every item. */
  batch?: { context?: unknown; integrations?: unknown; sentAt?: unknown };
  source: string;
  requestId: string;
  receivedAt: Date;
  maxEventBytes: number;
  /** What the request tells about the client (context.ip, context.userAgent), for events that lack it. */
  facts?: RequestFacts;
}

export interface Rejection {
  index: number;
  code: string;
  message: string;
}

export interface IngestResult {
  accepted: RoutedEvent[];
  /** One per refused item, as the client sees it. */
  rejected: Rejection[];
  /** The refused items, kept with their reasons on their way to the dead-letter store. */
  deadLetters: DeadLetter[];
}

export function ingest(req: IngestRequest): IngestResult {
  const accepted: RoutedEvent[] = [];
  const rejected: Rejection[] = [];
  const deadLetters: DeadLetter[] = [];
  const receivedAtIso = req.receivedAt.toISOString();
  const batchSentAt = typeof req.batch?.sentAt === 'string' ? req.batch.sentAt : undefined;

  req.items.forEach((raw, index) => {
    const item = withBatchFields(raw, req.batch);
    const result = validateEvent(item, {
      maxEventBytes: req.maxEventBytes,
      ...(req.impliedType ? { impliedType: req.impliedType } : {}),
    });
    if (!result.ok) {
      const first = result.reasons[0] as Reason;
      rejected.push({ index, code: first.code, message: describe(result.reasons) });
      // The client's id, or one made now: a replay and a worker that refuses the
      // event again then name the same letter (its id derives from this).
      const messageId = messageIdOf(item) ?? randomUUID();
      deadLetters.push({
        id: deadLetterId('validation', req.source, messageId, reasonCodesPart(result.reasons)),
        errorType: 'validation',
        reasons: result.reasons,
        failedAt: receivedAtIso,
        stream: streamOfInvalid(item, req),
        source: req.source,
        requestId: req.requestId,
        receivedAt: receivedAtIso,
        messageId,
        // An event nested too deeply to be written as JSON keeps its first levels.
        payload: result.reasons.some((r) => r.code === 'not_serializable')
          ? depthLimited(item, LETTER_PAYLOAD_DEPTH)
          : asValidated(item, req.impliedType),
      });
      return;
    }
    const normalized = normalizeEvent(result.event, {
      receivedAt: req.receivedAt,
      ...(batchSentAt ? { batchSentAt } : {}),
    });
    const event = req.facts ? enrichEvent(normalized, req.facts) : normalized;
    const stream = req.rule.kind === 'fixed' ? req.rule.stream : streamForType(event.type);
    accepted.push({ event, source: req.source, stream, requestId: req.requestId });
  });
  return { accepted, rejected, deadLetters };
}

/**
 * Batch-level `context` and `integrations` apply to every item; the item's own
 * keys win (a shallow merge per object, as Segment's batch API documents).
 */
function withBatchFields(raw: unknown, batch: IngestRequest['batch']): unknown {
  if (!batch || !isJsonObject(raw)) return raw;
  const ctx = isJsonObject(batch.context) ? batch.context : undefined;
  const integ = isJsonObject(batch.integrations) ? batch.integrations : undefined;
  if (!ctx && !integ) return raw;
  const merged: Record<string, unknown> = { ...raw };
  if (ctx) merged.context = isJsonObject(raw.context) ? { ...ctx, ...raw.context } : (raw.context ?? ctx);
  if (integ) {
    merged.integrations = isJsonObject(raw.integrations)
      ? { ...integ, ...raw.integrations }
      : (raw.integrations ?? integ);
  }
  return merged;
}

function describe(reasons: readonly Reason[]): string {
  return reasons.map((r) => r.message).join('; ');
}

function streamOfInvalid(item: unknown, req: IngestRequest): string {
  if (req.rule.kind === 'fixed') return req.rule.stream;
  const type =
    isJsonObject(item) && typeof item.type === 'string' ? item.type.toLowerCase() : req.impliedType;
  return type && (EVENT_TYPES as readonly string[]).includes(type)
    ? streamForType(type as EventType)
    : 'events';
}

function messageIdOf(item: unknown): string | undefined {
  return isJsonObject(item) &&
    typeof item.messageId === 'string' &&
    item.messageId !== '' &&
    item.messageId.length <= MAX_MESSAGE_ID_LENGTH
    ? item.messageId
    : undefined;
}

/** The item as validation saw it, with the type its route implies: what a replay re-submits. */
function asValidated(item: unknown, impliedType: EventType | undefined): unknown {
  if (
    !impliedType ||
    !isJsonObject(item) ||
    (item.type !== undefined && item.type !== null && item.type !== '')
  )
    return item;
  return { ...item, type: impliedType };
}
