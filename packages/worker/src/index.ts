// @eventkit/worker — the worker core and its adapters, for the worker's own
// executable (cli.ts, commands/, compose.ts) and for the local all-in-one mode, which runs
// createWorker() in-process on a MemoryQueue with the file sink:
//
//   const encoder = await ParquetEncoder.create();
//   const store = new FileObjectStore(dataDir);
//   const worker = createWorker({
//     subscriber: queue.subscriber(flow),   // MemoryQueue({ resolvePublishOn: 'ack' })
//     sink: new ObjectStoreEventSink({ kind: 'file', store, encoder, prefix, workerId }),
//     deadLetters: new ObjectStoreDeadLetterStore({ store, prefix, workerId }),
//     logger, metrics: registry,
//     settings: { ...workerSettingsFromConfig(config), flowControl: flow },
//   });
//   await worker.start(); … await worker.stop(); await encoder.close();

export { type ComposedWorker, composeWorker } from './compose.ts';
export { type Adapted, adaptEvent, NORMALIZATION_SLACK_BYTES } from './core/adapt.ts';
export type { FlushTrigger } from './core/batcher.ts';
export { EventsRejectedError } from './core/errors.ts';
export { type WorkerSettings, workerSettingsFromConfig } from './core/settings.ts';
export {
  createWorker,
  type StopResult,
  type Worker,
  type WorkerDeps,
  type WorkerStats,
} from './core/worker.ts';
export { type DeadLetterSummary, formatSummary, summarize } from './dlq/list.ts';
export { eventOfLetter, type ReplayOptions, type ReplaySummary, replayDeadLetters } from './dlq/replay.ts';
export { parseSince } from './dlq/since.ts';
export { openSinks, type Sinks, type SinksConfig } from './open-sinks.ts';
export { cachedCheck, createOpsApp, type OpsAppDeps, type ReadyReport } from './ops/app.ts';
export { type OpsServer, startOpsServer } from './ops/server.ts';
export {
  DEFAULT_MAX_COMMIT_BYTES,
  FIRESTORE_BATCH_LIMIT,
  FirestoreEventSink,
  type FirestoreSinkOptions,
  firestoreDocId,
  firestoreRepresentable,
  legacyFirestoreDocId,
  routedEventOf,
  UNINDEXED_EVENT_FIELDS,
} from './sinks/firestore.ts';
export { createFirestoreClient } from './sinks/firestore-client.ts';
export { FirestoreDeadLetterStore } from './sinks/firestore-dead-letters.ts';
export {
  fromErrorRow,
  ObjectStoreDeadLetterStore,
  type ObjectStoreDeadLetterStoreOptions,
} from './sinks/object-store-dead-letters.ts';
export { ObjectStoreEventSink, type ObjectStoreEventSinkOptions } from './sinks/object-store-sink.ts';
export { ParquetEncoder, type ParquetEncoderOptions, rowToRoutedEvent } from './sinks/parquet.ts';
export type { ReplayableDeadLetterStore, ReplayLedger } from './sinks/replay-ledger.ts';
export { VERSION } from './version.ts';
