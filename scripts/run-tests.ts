// Runs the test suite with Node's built-in test runner.
//
//   node scripts/run-tests.ts unit|int|all [path-filter ...]
//
// Unit tests are `*.test.ts`; tests that need an emulator, a test server or a
// child process are `*.int.test.ts`. Integration runs share one Pub/Sub and one
// Firestore emulator started by the global setup (packages/testing), which stops
// them by process group when the run ends; a single int file run on its own
// starts its own.
import { spawnSync } from 'node:child_process';
import { globSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const [kind = 'all', ...filters] = process.argv.slice(2);
if (!['unit', 'int', 'all'].includes(kind)) {
  console.error(`usage: run-tests.ts unit|int|all [filter...] (got "${kind}")`);
  process.exit(2);
}

const all = globSync('packages/*/src/**/*.test.ts', { cwd: root }).sort();
const isInt = (f: string) => f.endsWith('.int.test.ts');
const files = all
  .filter((f) => (kind === 'unit' ? !isInt(f) : kind === 'int' ? isInt(f) : true))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));

if (files.length === 0) {
  console.error(`no test files matched (${kind} ${filters.join(' ')})`);
  process.exit(1);
}

const args = [
  '--test',
  `--test-concurrency=${Math.max(2, availableParallelism())}`,
  '--test-reporter=spec',
  '--test-timeout=120000',
];
if (files.some(isInt)) args.push('--test-global-setup=packages/testing/src/global-setup.ts');

const env = {
  ...process.env,
  METADATA_SERVER_DETECTION: 'none',
  EVENTKIT_LOG_LEVEL: process.env.EVENTKIT_LOG_LEVEL ?? 'silent',
};
const res = spawnSync(process.execPath, [...args, ...files], { cwd: root, stdio: 'inherit', env });
process.exit(res.status ?? 1);
