// @eventkit/worker: what the local all-in-one mode composes. The worker's own executable is
// cli.ts (commands/, compose.ts); nothing here starts a process or exits one.
//
//   const sinks = await openSinks(sinksConfig, logger);          // file/GCS Parquet or Firestore
//   const worker = createWorker({
//     subscriber: queue.subscriber(flow),                        // MemoryQueue({ resolvePublishOn: 'ack' })
//     sink: sinks.sink, deadLetters: sinks.deadLetters, logger, metrics: registry,
//     settings: { ...workerSettingsFromConfig(config), flowControl: flow },
//   });
//   await worker.start(); … await worker.stop(); await sinks.close();

export { type WorkerSettings, workerSettingsFromConfig } from './core/settings.ts';
export {
  createWorker,
  type StopResult,
  type Worker,
  type WorkerDeps,
  type WorkerStats,
} from './core/worker.ts';
export { openSinks, type Sinks, type SinksConfig } from './open-sinks.ts';
export { firestoreDocId } from './sinks/firestore.ts';
