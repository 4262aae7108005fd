// Validation of one event exactly as a client sent it, before normalisation.
//
// The gateway runs this on every event on its hot path, and clients (and the
// dead-letter store) see the result, so it must: never throw, whatever JSON
// (or non-JSON) value it gets; report every problem at once, so a developer
// fixes their integration in one round trip; and serialise the event at most
// once (to measure it), never when the caller already knows its size.

import { describeJsonType, isJsonObject, quoteExcerpt, toJsonText, utf8Bytes } from './json.ts';
import { DEFAULT_MAX_EVENT_BYTES } from './limits.ts';
import type { ReasonCode } from './reasons.ts';
import { missingFieldReasons } from './required-fields.ts';
import { codeForField, inboundFieldsSchema } from './schema.ts';
import { EVENT_TYPES, type EventType, type InboundEvent, type JsonObject, type Reason } from './types.ts';

export interface ValidateOptions {
  /** Per-event size limit in UTF-8 bytes of the event's JSON (default 32 KiB, Segment's). */
  maxEventBytes?: number;
  /** The event's size when the caller already knows it (e.g. a single-event request body): skips serialising it. */
  measuredBytes?: number;
  /**
   * The type the route implies (`/v1/track`, `/v1/t` → track), used only when
   * the body has no `type`: Segment's HTTP API lets single-event routes omit it.
   * A `type` in the body wins.
   */
  impliedType?: EventType;
}

export type ValidationResult = { ok: true; event: InboundEvent } | { ok: false; reasons: Reason[] };

const KNOWN_TYPES: ReadonlySet<string> = new Set(EVENT_TYPES);

export function validateEvent(input: unknown, options: ValidateOptions = {}): ValidationResult {
  if (!isJsonObject(input)) {
    const reasons = [
      reason('not_an_object', `an event must be a JSON object, not ${describeJsonType(input)}`),
    ];
    const sizeProblem = sizeReason(input, options);
    if (sizeProblem !== undefined) reasons.push(sizeProblem);
    return { ok: false, reasons };
  }
  const reasons = schemaReasons(input);
  const type = resolveType(input, options.impliedType, reasons);
  reasons.push(...missingFieldReasons(input, type));
  const sizeProblem = sizeReason(input, options);
  if (sizeProblem !== undefined) reasons.push(sizeProblem);
  // type is only undefined after a reason was recorded; the check is for the compiler.
  if (reasons.length > 0 || type === undefined) return { ok: false, reasons };
  return { ok: true, event: withType(input, type) };
}

function schemaReasons(event: JsonObject): Reason[] {
  const parsed = inboundFieldsSchema.safeParse(event);
  if (parsed.success) return [];
  return parsed.error.issues.map((issue) =>
    reason(codeForField(issue.path[0]), issue.message, issue.path.map(String).join('.')),
  );
}

/**
 * The event's type in lowercase, or undefined after recording why there is none.
 * Case-insensitive because some hand-rolled clients send "Track"; the spec's
 * spelling is lowercase and that is what is stored.
 */
function resolveType(event: JsonObject, impliedType: EventType | undefined, reasons: Reason[]) {
  const raw = event.type;
  if (raw === undefined || raw === null || raw === '') {
    if (impliedType !== undefined) return impliedType;
    reasons.push(reason('missing_type', `type is required: one of ${EVENT_TYPES.join(', ')}`, 'type'));
    return undefined;
  }
  if (typeof raw !== 'string') return undefined; // the schema already reported it
  const type = raw.toLowerCase();
  if (KNOWN_TYPES.has(type)) return type as EventType;
  reasons.push(
    reason('unknown_type', `type ${quoteExcerpt(raw)} is not one of ${EVENT_TYPES.join(', ')}`, 'type'),
  );
  return undefined;
}

// The client's object is returned as is when nothing changes: no copy on the hot path.
function withType(event: JsonObject, type: EventType): InboundEvent {
  return event.type === type ? (event as InboundEvent) : ({ ...event, type } as InboundEvent);
}

function sizeReason(input: unknown, options: ValidateOptions): Reason | undefined {
  const maxBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
  let bytes = options.measuredBytes;
  if (bytes === undefined) {
    const text = toJsonText(input);
    if (text === undefined) {
      return reason(
        'not_serializable',
        'the event cannot be serialised as JSON (nested too deeply, or holds a value JSON cannot represent)',
      );
    }
    bytes = utf8Bytes(text);
  }
  if (bytes <= maxBytes) return undefined;
  return reason('event_too_large', `the event is ${bytes} bytes as JSON; the limit is ${maxBytes} bytes`);
}

function reason(code: ReasonCode, message: string, path?: string): Reason {
  return path === undefined || path === '' ? { code, message } : { code, message, path };
}
