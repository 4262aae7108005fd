// Runs the test suite with vitest (vitest.config.ts).
//
//   node scripts/run-tests.ts unit|int|all [path-filter ...]
//
// Unit tests are `*.test.ts`; tests that need an emulator, a test server or a
// child process are `*.int.test.ts`. Integration runs share one Pub/Sub and one
// Firestore emulator started by vitest's global setup (packages/testing), which
// stops them by process group when the run ends; runs without an integration
// file start none.
//
// After the run it prints the tests per package and the closing
// `tests: N passed, N failed, N skipped` line, from the summary reporter's JSON.
// Under CI=true a skipped (or todo) test fails the run, unless its file is in
// ALLOWED_SKIPS (scripts/testing/summary.ts): the opt-in real-cloud tests.
// EVENTKIT_TEST_DEADLINE_MINUTES (default 40) bounds the whole run.
// EVENTKIT_TEST_ROOT runs the suite of another tree (the runner's own test uses
// a fixture tree) with this repository's vitest and configuration.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { globSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ALLOWED_SKIPS,
  countsPerPackage,
  disallowedSkips,
  formatCounts,
  type RunSummary,
} from './testing/summary.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
const root = process.env.EVENTKIT_TEST_ROOT ? join(process.env.EVENTKIT_TEST_ROOT, '/') : repo;
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

const summaryFile = join(root, 'test-results', `${kind}.summary.json`);
rmSync(summaryFile, { force: true });
rmSync(`${summaryFile}.running`, { force: true });
const env: NodeJS.ProcessEnv = {
  ...process.env,
  EVENTKIT_TEST_SUMMARY: summaryFile,
  EVENTKIT_TEST_EMULATORS: files.some(isInt) ? 'on' : 'off',
};
// A log file or CI console gets plain text, not colour codes.
if (!process.stdout.isTTY && env.FORCE_COLOR === undefined) env.NO_COLOR = '1';
const vitest = join(repo, 'node_modules', 'vitest', 'vitest.mjs');
const argv = [vitest, 'run', '--root', root, '--config', join(repo, 'vitest.config.ts'), ...files];
const status = await runWithDeadline(argv, env);
const summary = readSummary(summaryFile);
// No summary means no closing counts: whatever vitest's exit code, the run proved nothing.
if (!summary) process.exit(status === 0 ? 1 : status);
console.log(`\n${formatCounts(countsPerPackage(summary))}`);
const skipsFail = process.env.CI === 'true' && !skipRuleHolds(summary);
process.exit(status === 0 && skipsFail ? 1 : status);

/** The files the summary reporter saw start and not finish. */
function stillRunning(): string[] {
  try {
    return JSON.parse(readFileSync(`${summaryFile}.running`, 'utf8')) as string[];
  } catch {
    return [];
  }
}

function readSummary(file: string): RunSummary | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as RunSummary;
  } catch {
    console.error(`tests: no summary at ${file} (the run ended before its reporter wrote one)`);
    return undefined;
  }
}

/** Under CI: false (and says which) when a test outside ALLOWED_SKIPS was skipped. */
function skipRuleHolds(summary: RunSummary): boolean {
  const bad = disallowedSkips(summary);
  if (bad.length === 0) return true;
  console.error(`\nCI: ${bad.length} test(s) skipped; under CI=true only these files may skip:`);
  for (const [f, why] of Object.entries(ALLOWED_SKIPS)) console.error(`  ${f} (${why})`);
  for (const t of bad) console.error(`  ${t.outcome}: ${t.file} › ${t.name}${t.note ? ` (${t.note})` : ''}`);
  return false;
}

/**
 * Runs the test runner in its own process group and bounds the whole run: a test
 * file that never ends (a child process holding its output open) must fail the
 * run with the list of files still running, not use up CI's time. At the
 * deadline the group gets SIGTERM, and SIGKILL once the runner has exited (or
 * 15 s later); then it names the files that had started and not finished.
 */
async function runWithDeadline(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const minutes = Number(process.env.EVENTKIT_TEST_DEADLINE_MINUTES ?? 40);
  const child = spawn(process.execPath, argv, { cwd: root, stdio: 'inherit', env, detached: true });
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  let timedOut = false;
  const deadline = setTimeout(() => {
    timedOut = true;
    console.error(`\ntests: the run passed its deadline of ${minutes} min; stopping it`);
    signalGroup('SIGTERM');
    setTimeout(() => signalGroup('SIGKILL'), 15_000).unref();
  }, minutes * 60_000);
  // Ctrl-C or a CI cancel reaches this process; pass it on to the group.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => signalGroup(signal));
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(deadline);
  if (!timedOut) return code ?? 1;
  signalGroup('SIGKILL'); // whatever ignored SIGTERM while the runner wrote its report
  console.error(
    `tests: files still running at the deadline: ${stillRunning().join(', ') || '(none recorded)'}`,
  );
  return 1;
}
