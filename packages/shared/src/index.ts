// @eventkit/shared — the contracts every eventkit role uses.
// Contract test suites are a separate entry: '@eventkit/shared/contracts'; the
// Pub/Sub and GCS adapters are '@eventkit/shared/pubsub' and '@eventkit/shared/gcs',
// so a process that does not use those Google clients does not pay for loading them.

export * from './adapters/local/index.ts';
export * from './adapters/memory/index.ts';
export { type ObjectStoreConfig, openObjectStore } from './adapters/open-object-store.ts';
export * from './cli/index.ts';
export * from './config/index.ts';
export * from './envelope/index.ts';
export * from './event/index.ts';
export * from './http/index.ts';
export * from './layout/index.ts';
export * from './logging/index.ts';
export * from './metrics/index.ts';
export * from './partition/index.ts';
export * from './ports/index.ts';
export * from './process/index.ts';
export * from './retry/index.ts';
