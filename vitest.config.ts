// The test suite on vitest. `make test` runs it through scripts/run-tests.ts,
// which picks the files (unit = `*.test.ts`, integration = `*.int.test.ts`),
// bounds the whole run, and prints the per-package counts and the closing
// `N passed, N failed` line from the summary reporter's JSON.
//
// Every test file runs in its own child process (pool `forks`, isolated), as
// under Node's runner before: files set process-wide state (environment
// variables, exit handlers, emulator hosts) and spawn the real executables.
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts'],
    pool: 'forks',
    isolate: true,
    // Most files wait on child processes and emulators, not on CPU: two at a time even on one core.
    maxWorkers: Math.max(2, availableParallelism()),
    testTimeout: 120_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    // Starts one Pub/Sub and one Firestore emulator for the run (unless EVENTKIT_TEST_EMULATORS=off).
    globalSetup: [here('packages/testing/src/global-setup.ts')],
    setupFiles: [here('packages/testing/src/test-setup.ts')],
    env: {
      METADATA_SERVER_DETECTION: 'none',
      EVENTKIT_LOG_LEVEL: process.env.EVENTKIT_LOG_LEVEL ?? 'silent',
    },
    reporters: ['verbose', here('scripts/testing/summary-reporter.ts')],
    // A test's console output is printed with its file, not interleaved with the reporter.
    silent: 'passed-only',
  },
});
