// The warehouse tables' rows: one wide events table, one dead-letter table.
//
// The column lists are the single source of the table schemas (BigQuery and
// DuckDB alike) and of the Parquet files loaded into them. JSON columns travel
// as JSON text (BigQuery cannot load JSON-typed columns from Parquet; the
// merge applies PARSE_JSON) and timestamps as ISO-8601 strings.

import { toJsonText } from './json.ts';
import type { DeadLetter, Reason, RoutedEvent } from './types.ts';

export type ColumnType = 'STRING' | 'TIMESTAMP' | 'JSON';
export type ColumnMode = 'REQUIRED' | 'NULLABLE';

export interface Column {
  name: string;
  type: ColumnType;
  mode: ColumnMode;
  description: string;
}

/** The events table, in column order. Partitioned by day of received_at, clustered by stream, type, event. */
export const WAREHOUSE_COLUMNS = [
  {
    name: 'message_id',
    type: 'STRING',
    mode: 'REQUIRED',
    description: 'Client or gateway assigned; dedup key with source',
  },
  { name: 'source', type: 'STRING', mode: 'REQUIRED', description: "The write key's source name" },
  {
    name: 'type',
    type: 'STRING',
    mode: 'REQUIRED',
    description: 'track, identify, page, screen, group or alias',
  },
  { name: 'event', type: 'STRING', mode: 'NULLABLE', description: 'track: the event name' },
  { name: 'name', type: 'STRING', mode: 'NULLABLE', description: 'page/screen: the page or screen name' },
  { name: 'user_id', type: 'STRING', mode: 'NULLABLE', description: 'userId' },
  { name: 'anonymous_id', type: 'STRING', mode: 'NULLABLE', description: 'anonymousId' },
  { name: 'group_id', type: 'STRING', mode: 'NULLABLE', description: 'group: groupId' },
  { name: 'previous_id', type: 'STRING', mode: 'NULLABLE', description: 'alias: previousId' },
  { name: 'stream', type: 'STRING', mode: 'REQUIRED', description: 'The stream the event was routed to' },
  { name: 'timestamp', type: 'TIMESTAMP', mode: 'REQUIRED', description: 'Skew corrected event time' },
  { name: 'original_timestamp', type: 'TIMESTAMP', mode: 'NULLABLE', description: 'Device time of the call' },
  { name: 'sent_at', type: 'TIMESTAMP', mode: 'NULLABLE', description: 'Device time of the send' },
  { name: 'received_at', type: 'TIMESTAMP', mode: 'REQUIRED', description: 'Gateway time of arrival' },
  // NULLABLE because rows are written before their load; the loader fills it in.
  { name: 'loaded_at', type: 'TIMESTAMP', mode: 'NULLABLE', description: 'When the row reached the table' },
  { name: 'properties', type: 'JSON', mode: 'NULLABLE', description: 'track/page/screen properties' },
  { name: 'traits', type: 'JSON', mode: 'NULLABLE', description: 'identify/group traits' },
  { name: 'context', type: 'JSON', mode: 'NULLABLE', description: 'Library, device, page, campaign...' },
  { name: 'integrations', type: 'JSON', mode: 'NULLABLE', description: 'Per-destination switches' },
] as const satisfies readonly Column[];

export type WarehouseColumnName = (typeof WAREHOUSE_COLUMNS)[number]['name'];

/** One events-table row: strings for STRING and TIMESTAMP (ISO-8601), JSON text for JSON, null when absent. */
export type WarehouseRow = { [C in (typeof WAREHOUSE_COLUMNS)[number] as C['name']]: CellOf<C> };

type CellOf<C extends Column> = C['mode'] extends 'REQUIRED' ? string : string | null;

export function toWarehouseRow(routed: RoutedEvent): WarehouseRow {
  const { event, source, stream } = routed;
  return {
    message_id: event.messageId,
    source,
    type: event.type,
    event: textOrNull(event.event),
    name: textOrNull(event.name),
    user_id: textOrNull(event.userId),
    anonymous_id: textOrNull(event.anonymousId),
    group_id: textOrNull(event.groupId),
    previous_id: textOrNull(event.previousId),
    stream,
    timestamp: event.timestamp,
    original_timestamp: textOrNull(event.originalTimestamp),
    sent_at: textOrNull(event.sentAt),
    received_at: event.receivedAt,
    loaded_at: null,
    properties: jsonOrNull(event.properties),
    // rudder-sdk-node and the Rudder browser SDK send identify traits only in context.traits.
    traits: jsonOrNull(event.traits ?? (event.type === 'identify' ? event.context?.traits : undefined)),
    context: jsonOrNull(event.context),
    integrations: jsonOrNull(event.integrations),
  };
}

/** The dead-letter table, in column order. Partitioned by day of failed_at. */
export const ERROR_COLUMNS = [
  { name: 'id', type: 'STRING', mode: 'REQUIRED', description: 'Unique id of the dead letter' },
  { name: 'error_type', type: 'STRING', mode: 'REQUIRED', description: 'validation or processing' },
  { name: 'reasons', type: 'JSON', mode: 'REQUIRED', description: 'Array of {code, message, path}' },
  { name: 'failed_at', type: 'TIMESTAMP', mode: 'REQUIRED', description: 'When the failure was recorded' },
  { name: 'stream', type: 'STRING', mode: 'NULLABLE', description: 'Stream, when known' },
  { name: 'source', type: 'STRING', mode: 'NULLABLE', description: 'Source name, when known' },
  { name: 'request_id', type: 'STRING', mode: 'NULLABLE', description: 'HTTP request that brought it' },
  { name: 'received_at', type: 'TIMESTAMP', mode: 'NULLABLE', description: 'Gateway time of arrival' },
  {
    name: 'message_id',
    type: 'STRING',
    mode: 'NULLABLE',
    description: 'The event messageId, when it had one',
  },
  { name: 'payload', type: 'JSON', mode: 'NULLABLE', description: 'The event as received' },
  {
    name: 'raw',
    type: 'STRING',
    mode: 'NULLABLE',
    description: 'Base64 bytes when they could not be decoded',
  },
] as const satisfies readonly Column[];

export type ErrorColumnName = (typeof ERROR_COLUMNS)[number]['name'];

export type ErrorRow = { [C in (typeof ERROR_COLUMNS)[number] as C['name']]: CellOf<C> };

/**
 * The dead-letter row. Never throws: a dead letter is the last place an event
 * can go. A payload JSON cannot represent (nested deeper than the serialiser
 * goes) is stored as null with an extra reason saying so, never silently.
 */
export function toErrorRow(deadLetter: DeadLetter): ErrorRow {
  const absent = deadLetter.payload === undefined || deadLetter.payload === null;
  const payload = absent ? null : toJsonText(deadLetter.payload);
  const reasons: Reason[] =
    payload === undefined
      ? [
          ...deadLetter.reasons,
          {
            code: 'payload_not_serializable',
            message: 'the payload cannot be written as JSON and is not stored',
          },
        ]
      : deadLetter.reasons;
  return {
    id: deadLetter.id,
    error_type: deadLetter.errorType,
    reasons: toJsonText(reasons) ?? '[]',
    failed_at: deadLetter.failedAt,
    stream: deadLetter.stream ?? null,
    source: deadLetter.source ?? null,
    request_id: deadLetter.requestId ?? null,
    received_at: deadLetter.receivedAt ?? null,
    message_id: deadLetter.messageId ?? null,
    payload: payload ?? null,
    raw: deadLetter.raw ?? null,
  };
}

function textOrNull(value: unknown): string | null {
  if (typeof value === 'string') return value;
  // Events built elsewhere than normalizeEvent may still carry a numeric id.
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

/** JSON text, or null when absent. Throws on values JSON cannot hold (cycles, BigInt); the worker dead-letters those. */
function jsonOrNull(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return JSON.stringify(value) ?? null;
}
