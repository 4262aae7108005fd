// Global setup for `node --test --test-global-setup=packages/testing/src/global-setup.ts`
// (scripts/run-tests.ts adds it to integration runs). Node runs globalSetup()
// once in the test runner process before it spawns the test files, and
// globalTeardown() after they all finished (also when tests fail).
//
// The hosts reach the test files through the environment: the runner spawns
// every test file's process with its own process.env, which globalSetup() has
// changed by then (checked on Node 24.21; with --test-isolation=none the files
// run in the runner process itself, where the variables are set too).
import { type EmulatorHandle, startFirestoreEmulator, startPubsubEmulator } from './emulators/emulators.ts';

let running: EmulatorHandle[] = [];

export async function globalSetup(): Promise<void> {
  const results = await Promise.allSettled([startPubsubEmulator(), startFirestoreEmulator()]);
  running = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await globalTeardown();
    throw failed.reason;
  }
  const [pubsub, firestore] = running as [EmulatorHandle, EmulatorHandle];
  process.env.PUBSUB_EMULATOR_HOST = pubsub.host;
  process.env.FIRESTORE_EMULATOR_HOST = firestore.host;
}

export async function globalTeardown(): Promise<void> {
  const stopping = running;
  running = [];
  await Promise.allSettled(stopping.map((e) => e.stop()));
}
