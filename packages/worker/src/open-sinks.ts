// Opening the event sink and the dead-letter store the configuration names
// (EVENTKIT_EVENT_STORE), for `run` (compose.ts), the dlq commands and the
// local all-in-one mode.
//   gcs        Parquet files and NDJSON dead letters in GCP_GCS_BUCKET
//   file       the same layout under EVENTKIT_DATA_DIR (temporary file, fsync, link/rename)
//   firestore  streams/{stream}/events/{id} and errors/{id}
//
// Each store's client library is imported only when that store is configured:
// the Firestore and Cloud Storage clients cost ~50 MiB of RSS each once
// loaded, which a worker writing elsewhere should not carry.
import type { WorkerConfig } from '@eventkit/shared/config';
import { type ObjectStoreConfig, openObjectStore } from '@eventkit/shared/object-store';
import type { EventSink } from '@eventkit/shared/ports';
import { ObjectStoreDeadLetterStore } from './sinks/object-store-dead-letters.ts';
import { ObjectStoreEventSink } from './sinks/object-store-sink.ts';
import { ParquetEncoder } from './sinks/parquet.ts';
import type { ReplayableDeadLetterStore } from './sinks/replay-ledger.ts';

export interface Sinks {
  sink: EventSink;
  deadLetters: ReplayableDeadLetterStore;
  close(): Promise<void>;
}

/**
 * The object store's settings are whatever `openObjectStore` reads (a new store's settings reach
 * it without a change here); the rest are the sinks' own.
 */
export type SinksConfig = ObjectStoreConfig &
  Pick<WorkerConfig, 'gcpProjectId' | 'storagePrefix' | 'firestoreEmulatorHost' | 'workerId'>;

/** The sinks of the configured event store. `events: false` skips the Parquet encoder (dlq commands). */
export async function openSinks(config: SinksConfig, options: { events?: boolean } = {}): Promise<Sinks> {
  if (config.eventStore === 'firestore') {
    const { createFirestoreClient } = await import('./sinks/firestore-client.ts');
    const { FirestoreEventSink } = await import('./sinks/firestore.ts');
    const { FirestoreDeadLetterStore } = await import('./sinks/firestore-dead-letters.ts');
    const db = createFirestoreClient(config);
    return {
      sink: new FirestoreEventSink(db),
      deadLetters: new FirestoreDeadLetterStore(db),
      close: () => db.terminate(),
    };
  }
  const store = await openObjectStore(config);
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
    throw new Error('this command opened the sinks without the event sink');
  };
  return { kind, write: refuse, check: refuse, close: async () => {} };
}
