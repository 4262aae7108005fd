// Runs in every test file's process before the file (vitest `setupFiles`):
// puts the hosts of the emulators the global setup started into the
// environment, where the Google clients and useEmulators() look for them.
import { inject } from 'vitest';

const hosts = inject('emulatorHosts');
if (hosts) {
  process.env.PUBSUB_EMULATOR_HOST = hosts.pubsub;
  process.env.FIRESTORE_EMULATOR_HOST = hosts.firestore;
}
