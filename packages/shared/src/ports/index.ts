export type { DeadLetterFilter, DeadLetterSink, DeadLetterStore } from './dead-letter.ts';
export { type EventBatch, type EventSink, EventsRejectedError, type WriteReceipt } from './event-sink.ts';
export {
  type DeleteOptions,
  type ListOptions,
  type ListPage,
  listAll,
  ObjectExistsError,
  type ObjectInfo,
  ObjectNotFoundError,
  type ObjectStore,
  PreconditionFailedError,
  type PutOptions,
} from './object-store.ts';
export type {
  Disposition,
  FlowControl,
  MessageHandler,
  QueueMessage,
  QueuePublisher,
  QueueSubscriber,
} from './queue.ts';
export type {
  LedgerEntry,
  LedgerSummary,
  LoadErrorKind,
  LoadedKeysOptions,
  LoadFile,
  LoadJob,
  LoadResult,
  LoadTable,
  Warehouse,
} from './warehouse.ts';
export { WarehouseConfigError } from './warehouse.ts';
