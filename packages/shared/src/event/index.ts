// The event schema module: what an event is, how one is checked, normalised,
// routed to a stream and laid out as a warehouse row.

export { deadLetterId, reasonCodesPart } from './dead-letter-id.ts';
export { CUT_MARKER, depthLimited, isJsonObject, mayHoldLoneSurrogates, toWellFormedJson } from './json.ts';
export {
  DEFAULT_MAX_BATCH_EVENTS,
  DEFAULT_MAX_EVENT_BYTES,
  DEFAULT_MAX_REQUEST_BYTES,
  MAX_MESSAGE_ID_LENGTH,
} from './limits.ts';
export { correctedTimestamp, type EventClock, type NormalizeContext, normalizeEvent } from './normalize.ts';
export { REASON_CODES, type ReasonCode } from './reasons.ts';
export {
  type Column,
  type ColumnMode,
  type ColumnType,
  ERROR_COLUMNS,
  type ErrorColumnName,
  type ErrorRow,
  toErrorRow,
  toWarehouseRow,
  WAREHOUSE_COLUMNS,
  type WarehouseColumnName,
  type WarehouseRow,
} from './row.ts';
export {
  DEFAULT_STREAM,
  isValidStreamName,
  STREAM_FOR_TYPE,
  STREAM_NAME_RULE,
  streamForType,
} from './stream.ts';
export {
  MAX_EVENT_TIME_MS,
  MIN_EPOCH_MILLIS,
  MIN_EVENT_TIME_MS,
  parseEventTime,
  toIsoTimestamp,
} from './time.ts';
export {
  type ClientId,
  type ClientTime,
  type DeadLetter,
  type ErrorType,
  EVENT_TYPES,
  type EventType,
  type InboundEvent,
  type JsonObject,
  type Reason,
  type RoutedEvent,
  type SegmentEvent,
} from './types.ts';
export { type ValidateOptions, type ValidationResult, validateEvent } from './validate.ts';
