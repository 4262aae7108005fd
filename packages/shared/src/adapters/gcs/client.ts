// Building a Storage client the same way in every role. STORAGE_EMULATOR_HOST
// builds wrong paths in @google-cloud/storage 8.x, so the configured emulator
// or test server is passed as apiEndpoint instead (the 8.x client builds wrong paths from STORAGE_EMULATOR_HOST).
//
// The client also reads STORAGE_EMULATOR_HOST from the environment by itself,
// in its constructor, and then sends the JSON API calls to that host without
// the /storage/v1 path (uploads keep theirs), whatever apiEndpoint says. So
// when an emulator is configured (which is how the variable reaches us), the
// JSON API base is set back to `{apiEndpoint}/storage/v1` after construction.
import { Storage } from '@google-cloud/storage';

export interface StorageClientOptions {
  projectId?: string | undefined;
  /** Base URL of a GCS emulator or test server (e.g. http://127.0.0.1:9023); unset talks to Google. */
  emulatorUrl?: string | undefined;
}

export function createStorageClient(options: StorageClientOptions = {}): Storage {
  const storage = new Storage({
    ...(options.projectId ? { projectId: options.projectId } : {}),
    ...(options.emulatorUrl ? { apiEndpoint: options.emulatorUrl } : {}),
  });
  if (options.emulatorUrl) storage.baseUrl = `${storage.apiEndpoint}/storage/v1`;
  return storage;
}
