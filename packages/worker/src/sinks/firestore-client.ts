// The Firestore client of the worker's configuration (emulator host or Google Cloud).

import type { WorkerConfig } from '@eventkit/shared/config';
import { Firestore } from '@google-cloud/firestore';

export function createFirestoreClient(
  config: Pick<WorkerConfig, 'gcpProjectId' | 'firestoreEmulatorHost'>,
): Firestore {
  const host = config.firestoreEmulatorHost?.replace(/^https?:\/\//i, '');
  return new Firestore({
    ...(config.gcpProjectId ? { projectId: config.gcpProjectId } : {}),
    ...(host ? { host, ssl: false } : {}),
    ignoreUndefinedProperties: true,
  });
}
