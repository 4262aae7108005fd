// Runs the test suite with Node's built-in test runner.
//
//   node scripts/run-tests.ts unit|int|all [path-filter ...]
//
// Unit tests are `*.test.ts`; tests that need an emulator, a test server or a
// child process are `*.int.test.ts`. Integration runs share one Pub/Sub and one
// Firestore emulator started by the global setup (packages/testing), which stops
// them by process group when the run ends; a single int file run on its own
// starts its own.
//
// Under CI=true a skipped (or todo) test fails the run, unless its file is in
// ALLOWED_SKIPS (scripts/skipped-tests.ts): the opt-in real-cloud tests.
// EVENTKIT_TEST_DEADLINE_MINUTES (default 40) bounds the whole run.
// EVENTKIT_TEST_ROOT runs the suite of another tree (the runner's own test uses
// a fixture tree); the global setup is used only where that tree has it.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, globSync, mkdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ALLOWED_SKIPS, disallowedSkips } from './skipped-tests.ts';

const root = process.env.EVENTKIT_TEST_ROOT
  ? join(process.env.EVENTKIT_TEST_ROOT, '/')
  : fileURLToPath(new URL('..', import.meta.url));
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

const junit = join(root, 'test-results', `${kind}.junit.xml`);
mkdirSync(dirname(junit), { recursive: true });
const args = [
  '--test',
  `--test-concurrency=${Math.max(2, availableParallelism())}`,
  '--test-reporter=spec',
  '--test-reporter-destination=stdout',
  '--test-reporter=junit',
  `--test-reporter-destination=${junit}`,
  '--test-timeout=120000',
];
const globalSetup = 'packages/testing/src/global-setup.ts';
if (files.some(isInt) && existsSync(join(root, globalSetup))) args.push(`--test-global-setup=${globalSetup}`);

const env = {
  ...process.env,
  METADATA_SERVER_DETECTION: 'none',
  EVENTKIT_LOG_LEVEL: process.env.EVENTKIT_LOG_LEVEL ?? 'silent',
};
const status = await runWithDeadline([...args, ...files], env);
printPerPackage(junit);
const skipsFail = process.env.CI === 'true' && !skipRuleHolds(junit);
process.exit(status === 0 && skipsFail ? 1 : status);

/**
 * Runs the test runner in its own process group and bounds the whole run: a test
 * file that never ends (a child process holding its output open) must fail the
 * run with the list of files still running, not use up CI's time. At the
 * deadline the group gets SIGTERM (the runner prints what it was running), and
 * SIGKILL once the runner has exited, or 15 s later.
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
  return 1;
}

/** Under CI: false (and says which) when a test outside ALLOWED_SKIPS was skipped. */
function skipRuleHolds(file: string): boolean {
  let xml: string;
  try {
    xml = readFileSync(file, 'utf8');
  } catch {
    console.error(`CI: no JUnit report at ${file}, cannot check for skipped tests`);
    return false;
  }
  const bad = disallowedSkips(xml, root);
  if (bad.length === 0) return true;
  console.error(`\nCI: ${bad.length} test(s) skipped; under CI=true only these files may skip:`);
  for (const [f, why] of Object.entries(ALLOWED_SKIPS)) console.error(`  ${f} (${why})`);
  for (const t of bad)
    console.error(`  ${t.type}: ${t.file} › ${t.name}${t.message ? ` (${t.message})` : ''}`);
  return false;
}

/** Tests per package from the JUnit report: what ran where, at a glance. */
function printPerPackage(file: string): void {
  let xml: string;
  try {
    xml = readFileSync(file, 'utf8');
  } catch {
    return;
  }
  const per = new Map<string, { passed: number; failed: number; skipped: number }>();
  for (const m of xml.matchAll(/<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const pkg = /file="[^"]*\/packages\/([^/"]+)\//.exec(m[1] ?? '')?.[1] ?? 'other';
    const body = m[3] ?? '';
    const c = per.get(pkg) ?? { passed: 0, failed: 0, skipped: 0 };
    if (/<skipped/.test(body)) c.skipped++;
    else if (/<failure/.test(body)) c.failed++;
    else c.passed++;
    per.set(pkg, c);
  }
  console.log('\ntests per package (by the file that defines them):');
  const total = { passed: 0, failed: 0, skipped: 0 };
  for (const [pkg, c] of [...per].sort()) {
    console.log(`  ${pkg.padEnd(10)} ${c.passed} passed / ${c.failed} failed / ${c.skipped} skipped`);
    total.passed += c.passed;
    total.failed += c.failed;
    total.skipped += c.skipped;
  }
  // The closing line CI reads: the whole run, in the plain "N passed, N failed" form.
  console.log(`tests: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
}
