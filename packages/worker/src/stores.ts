// Building the event sink and the dead-letter store the configuration names
// (EVENTKIT_EVENT_STORE), for `run` and for the dlq commands.
//   gcs        Parquet files and NDJSON dead letters in GCP_GCS_BUCKET
//   file       the same layout under EVENTKIT_DATA_DIR (temporary file, fsync, link/rename)
//   firestore  streams/{stream}/events/{id} and errors/{id}

import { type EventSink, FileObjectStore, type WorkerConfig } from '@eventkit/shared';
import { createStorageClient, GcsObjectStore } from '@eventkit/shared/gcs';
import { Firestore } from '@google-cloud/firestore';
import { FirestoreDeadLetterStore, FirestoreEventSink } from './sinks/firestore.ts';
import { ObjectStoreDeadLetterStore } from './sinks/object-store-dead-letters.ts';
import { ObjectStoreEventSink } from './sinks/object-store-sink.ts';
import { ParquetEncoder } from './sinks/parquet.ts';
import type { ReplayableDeadLetterStore } from './sinks/replay-ledger.ts';

export interface Stores {
  sink: EventSink;
  deadLetters: ReplayableDeadLetterStore;
  close(): Promise<void>;
}

type StoreConfig = Pick<
  WorkerConfig,
  | 'eventStore'
  | 'gcpProjectId'
  | 'gcpGcsBucket'
  | 'storagePrefix'
  | 'storageEmulatorHost'
  | 'firestoreEmulatorHost'
  | 'dataDir'
  | 'workerId'
>;

export function createFirestoreClient(
  config: Pick<StoreConfig, 'gcpProjectId' | 'firestoreEmulatorHost'>,
): Firestore {
  const host = config.firestoreEmulatorHost?.replace(/^https?:\/\//i, '');
  return new Firestore({
    ...(config.gcpProjectId ? { projectId: config.gcpProjectId } : {}),
    ...(host ? { host, ssl: false } : {}),
    ignoreUndefinedProperties: true,
  });
}

/** The stores of the configured event store. `events: false` skips the Parquet encoder (dlq commands). */
export async function createStores(config: StoreConfig, options: { events?: boolean } = {}): Promise<Stores> {
  if (config.eventStore === 'firestore') {
    const db = createFirestoreClient(config);
    return {
      sink: new FirestoreEventSink(db),
      deadLetters: new FirestoreDeadLetterStore(db),
      close: () => db.terminate(),
    };
  }
  const store =
    config.eventStore === 'gcs'
      ? new GcsObjectStore({
          storage: createStorageClient({
            projectId: config.gcpProjectId,
            emulatorUrl: config.storageEmulatorHost,
          }),
          bucket: config.gcpGcsBucket ?? '',
        })
      : new FileObjectStore(config.dataDir);
  const encoder = options.events === false ? undefined : await ParquetEncoder.create();
  const prefix = config.storagePrefix;
  const sink = encoder
    ? new ObjectStoreEventSink({ kind: config.eventStore, store, encoder, prefix, workerId: config.workerId })
    : unavailableSink(config.eventStore);
  return {
    sink,
    deadLetters: new ObjectStoreDeadLetterStore({ store, prefix, workerId: config.workerId }),
    close: async () => {
      await encoder?.close();
    },
  };
}

function unavailableSink(kind: string): EventSink {
  const refuse = async (): Promise<never> => {
    throw new Error('this command opened the stores without the event sink');
  };
  return { kind, write: refuse, check: refuse, close: async () => {} };
}
