// Emulators for integration test files. Under vitest the global setup has
// started one Pub/Sub and one Firestore emulator for the whole run and put
// their hosts in PUBSUB_EMULATOR_HOST / FIRESTORE_EMULATOR_HOST in every test
// file's process (test-setup.ts). A run with EVENTKIT_TEST_EMULATORS=off has no
// such variables, so a file that needs them starts its own emulators here and
// stops them in an afterAll() hook.
import { afterAll } from 'vitest';
import { type EmulatorHandle, startFirestoreEmulator, startPubsubEmulator } from './emulators.ts';

export interface EmulatorHosts {
  /** `127.0.0.1:PORT` of the Pub/Sub emulator. */
  pubsubHost: string;
  /** `127.0.0.1:PORT` of the Firestore emulator. */
  firestoreHost: string;
}

interface Own {
  hosts: Promise<EmulatorHosts>;
  users: number;
  stop: () => Promise<void>;
}

let own: Own | undefined;

/**
 * The emulators' hosts: the shared ones when the environment names them,
 * otherwise emulators started for this file (and the variables set while they
 * run, so clients that read them find them), stopped by an afterAll() hook of the
 * calling suite once every caller's suite is done.
 */
export async function useEmulators(): Promise<EmulatorHosts> {
  const pubsubHost = process.env.PUBSUB_EMULATOR_HOST;
  const firestoreHost = process.env.FIRESTORE_EMULATOR_HOST;
  if (!own && pubsubHost && firestoreHost) return { pubsubHost, firestoreHost };

  own ??= startOwn();
  const current = own;
  current.users += 1;
  afterAll(async () => {
    current.users -= 1;
    if (current.users > 0) return;
    if (own === current) own = undefined;
    await current.stop();
  });
  return current.hosts;
}

function startOwn(): Own {
  const previous = {
    PUBSUB_EMULATOR_HOST: process.env.PUBSUB_EMULATOR_HOST,
    FIRESTORE_EMULATOR_HOST: process.env.FIRESTORE_EMULATOR_HOST,
  };
  const started: EmulatorHandle[] = [];
  const hosts = (async () => {
    const results = await Promise.allSettled([startPubsubEmulator(), startFirestoreEmulator()]);
    for (const r of results) if (r.status === 'fulfilled') started.push(r.value);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await Promise.allSettled(started.map((e) => e.stop()));
      throw failed.reason;
    }
    const [pubsub, firestore] = started as [EmulatorHandle, EmulatorHandle];
    process.env.PUBSUB_EMULATOR_HOST = pubsub.host;
    process.env.FIRESTORE_EMULATOR_HOST = firestore.host;
    return { pubsubHost: pubsub.host, firestoreHost: firestore.host };
  })();
  return {
    hosts,
    users: 0,
    async stop() {
      await hosts.catch(() => {});
      await Promise.all(started.map((e) => e.stop()));
      for (const [key, value] of Object.entries(previous)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    },
  };
}
