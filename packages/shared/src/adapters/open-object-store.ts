// The object store as the configuration describes it: the one place the
// worker (event and dead-letter files) and the loader (what it loads, its
// lease and ledger objects) open it from. A new store (say S3) is a branch
// here and an adapter beside this file; no role changes.
import type { ObjectStore } from '../ports/object-store.ts';
import { FileObjectStore } from './local/file-object-store.ts';

/** The settings the object store is opened from (a worker's or loader's resolved configuration has them). */
export interface ObjectStoreConfig {
  readonly eventStore: string;
  readonly dataDir: string;
  readonly gcpGcsBucket?: string | undefined;
  readonly gcpProjectId?: string | undefined;
  readonly storageEmulatorHost?: string | undefined;
}

/**
 * The bucket with the gcs event store (its client loaded only then: a worker
 * on another store does not pay its memory), else the data directory. The
 * configuration rules guarantee a bucket with gcs.
 */
export async function openObjectStore(config: ObjectStoreConfig): Promise<ObjectStore> {
  if (config.eventStore === 'gcs') {
    const { createStorageClient, GcsObjectStore } = await import('./gcs/index.ts');
    return new GcsObjectStore({
      storage: createStorageClient({
        projectId: config.gcpProjectId,
        emulatorUrl: config.storageEmulatorHost,
      }),
      bucket: config.gcpGcsBucket ?? '',
    });
  }
  return new FileObjectStore(config.dataDir);
}
