// What the worker needs to do its job, checked: the subscription there with
// this identity allowed to consume it, and the event store writable — a probe
// object written, read back and deleted in the bucket or data directory (with
// room on the disk), or a read of Firestore. `eventkit-worker doctor` prints
// them. In production (EVENTKIT_PUBSUB_CREATE=false) `run` runs the
// subscription's check at start and neither pulls nor is ready until it passes
// (compose.ts); the store is checked by every /ready instead, without probes.
import type { WorkerConfig } from '@eventkit/shared/config';
import { type Check, CheckFailure, directoryCheck, objectStoreCheck } from '@eventkit/shared/doctor';
import { keyPrefix } from '@eventkit/shared/layout';
import { openObjectStore } from '@eventkit/shared/object-store';
import { subscriptionCheck } from '@eventkit/shared/pubsub';
import type { PubSub } from '@google-cloud/pubsub';
import { openSinks, type SinksConfig } from './open-sinks.ts';

/** Free space the file store should have before the worker writes to it. */
export const MIN_FREE_BYTES_FILE_STORE = 1024 * 1024 * 1024;

export interface WorkerChecks {
  checks: Check[];
  close(): Promise<void>;
}

export async function workerChecks(
  config: SinksConfig & Pick<WorkerConfig, 'pubsubSubscription' | 'pubsubCreate'>,
  pubsub: PubSub,
): Promise<WorkerChecks> {
  const subscription = subscriptionCheck(pubsub, config.pubsubSubscription, { create: config.pubsubCreate });
  if (config.eventStore === 'firestore') {
    const sinks = await openSinks(config, { events: false });
    return { checks: [subscription, firestoreCheck(config, () => sinks.sink.check())], close: sinks.close };
  }
  const store = await openObjectStore(config);
  const gcs = config.eventStore === 'gcs';
  const checks = [
    subscription,
    objectStoreCheck(store, {
      where: gcs ? `gs://${config.gcpGcsBucket}/${keyPrefix(config.storagePrefix)}` : config.dataDir,
      prefix: keyPrefix(config.storagePrefix),
      access: 'write',
      fix: gcs
        ? "grant roles/storage.objectUser on the bucket to the worker's service account (deploy/terraform/iam.tf), and check GCP_GCS_BUCKET"
        : 'make EVENTKIT_DATA_DIR writable by the worker',
    }),
  ];
  if (!gcs) {
    checks.push(
      directoryCheck(config.dataDir, {
        setting: 'EVENTKIT_DATA_DIR',
        minFreeBytes: MIN_FREE_BYTES_FILE_STORE,
      }),
    );
  }
  return { checks, close: async () => {} };
}

function firestoreCheck(config: SinksConfig, read: () => Promise<void>): Check {
  return {
    name: `Firestore (project ${config.gcpProjectId ?? '?'})`,
    async run() {
      try {
        await read();
      } catch (err) {
        throw new CheckFailure(
          (err as Error).message,
          "check FIRESTORE_EMULATOR_HOST (set: the emulator must run there), that the project has a Firestore database in Native mode, and grant roles/datastore.user to the worker's service account",
        );
      }
      return {
        status: 'ok',
        detail: 'read the streams collection (writes are not probed: they would leave documents)',
      };
    },
  };
}
