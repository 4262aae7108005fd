// Building a Storage client the same way in every role. STORAGE_EMULATOR_HOST
// builds wrong paths in @google-cloud/storage 8.x, so the configured emulator
// or test server is passed as apiEndpoint instead (TOOLCHAIN.md).
import { Storage } from '@google-cloud/storage';

export interface StorageClientOptions {
  projectId?: string | undefined;
  /** Base URL of a GCS emulator or test server (e.g. http://127.0.0.1:9023); unset talks to Google. */
  emulatorUrl?: string | undefined;
}

export function createStorageClient(options: StorageClientOptions = {}): Storage {
  return new Storage({
    ...(options.projectId ? { projectId: options.projectId } : {}),
    ...(options.emulatorUrl ? { apiEndpoint: options.emulatorUrl } : {}),
  });
}
