// vitest's global setup (vitest.config.ts): starts one Pub/Sub and one
// Firestore emulator before any test file runs and stops them, by process
// group, after the last one (also when tests fail). Their hosts reach every
// test file through `provide`/`inject` (test-setup.ts puts them in the
// environment). scripts/run-tests.ts sets EVENTKIT_TEST_EMULATORS=off for runs
// without integration files, which need no emulator.
import type { TestProject } from 'vitest/node';
import { type EmulatorHandle, startFirestoreEmulator, startPubsubEmulator } from './emulators/emulators.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `127.0.0.1:PORT` of the run's emulators; absent when the run started none. */
    emulatorHosts: { pubsub: string; firestore: string } | undefined;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.EVENTKIT_TEST_EMULATORS === 'off') {
    project.provide('emulatorHosts', undefined);
    return async () => {};
  }
  const results = await Promise.allSettled([startPubsubEmulator(), startFirestoreEmulator()]);
  const running = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const teardown = async () => {
    await Promise.allSettled(running.map((e: EmulatorHandle) => e.stop()));
  };
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await teardown();
    throw failed.reason;
  }
  const [pubsub, firestore] = running as [EmulatorHandle, EmulatorHandle];
  project.provide('emulatorHosts', { pubsub: pubsub.host, firestore: firestore.host });
  return teardown;
}
