// scripts/run-tests.ts: the counts it prints, the rule that under CI=true a
// skipped test fails the run unless its file is on the documented allow-list
// (the opt-in real-cloud test), and the deadline on the whole run. Runs the
// runner itself on fixture trees of tiny test files.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually } from '@eventkit/shared/contracts';
import { afterAll, describe, test } from 'vitest';
import {
  ALLOWED_SKIPS,
  countsPerPackage,
  disallowedSkips,
  formatCounts,
} from '../../../scripts/testing/summary.ts';
import { REPO_ROOT } from './process/cli-process.ts';

/** True while `pid` exists and is not a zombie (an orphan nobody reaped is dead for our purpose). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

const ALLOWED = 'packages/loader/src/warehouse/bigquery/bigquery-real.int.test.ts';
const trees: string[] = [];
afterAll(async () => {
  for (const t of trees) await rm(t, { recursive: true, force: true });
});

async function tree(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), 'eventkit-run-tests-'));
  trees.push(root);
  // The tree's test files import vitest: let them find this repository's.
  await symlink(path.join(REPO_ROOT, 'node_modules'), path.join(root, 'node_modules'));
  for (const [file, body] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), body);
  }
  return root;
}

function runner(root: string, ci: boolean, extraEnv: NodeJS.ProcessEnv = {}) {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    EVENTKIT_TEST_ROOT: root,
    ...extraEnv,
  };
  // This file runs inside vitest; the nested run must not think it is a worker.
  for (const key of Object.keys(env)) if (key.startsWith('VITEST')) delete env[key];
  if (ci) env.CI = 'true';
  else delete env.CI;
  return spawnSync(process.execPath, [`${REPO_ROOT}scripts/run-tests.ts`, 'all'], { encoding: 'utf8', env });
}

const PASSES = "import { test } from 'vitest';\ntest('passes', () => {});\n";
const SKIPS =
  "import { test } from 'vitest';\ntest('passes', () => {});\ntest.skip('left behind', () => {});\n";
const SKIPS_AT_RUNTIME =
  "import { test } from 'vitest';\ntest('skips itself', (t) => { t.skip('no emulator'); });\n";
const TODO = "import { test } from 'vitest';\ntest.todo('someday');\n";
const OPT_IN =
  "import { test } from 'vitest';\ntest('real project', (t) => { t.skip('no credentials'); });\n";

describe('run-tests.ts: skipped tests under CI=true', () => {
  test('the allow-list is the documented opt-in real-cloud test, and that file exists', async () => {
    assert.deepEqual(Object.keys(ALLOWED_SKIPS), [ALLOWED]);
    assert.equal(spawnSync('test', ['-f', `${REPO_ROOT}${ALLOWED}`]).status, 0);
  });

  test('a skipped test fails the run under CI=true, naming it; without CI the same run passes', async () => {
    const root = await tree({ 'packages/demo/src/a.test.ts': PASSES, 'packages/demo/src/b.test.ts': SKIPS });
    const ci = runner(root, true);
    assert.notEqual(ci.status, 0, ci.stdout + ci.stderr);
    assert.match(ci.stderr, /skipped: packages\/demo\/src\/b\.test\.ts › left behind/);
    assert.match(ci.stdout, /tests: 2 passed, 0 failed, 1 skipped/, 'the tests themselves passed');
    const local = runner(root, false);
    assert.equal(local.status, 0, local.stdout + local.stderr);
  });

  test('t.skip() at run time (with its reason) and todo tests count as skipped too', async () => {
    for (const [body, line] of [
      [SKIPS_AT_RUNTIME, /skipped: packages\/demo\/src\/a\.test\.ts › skips itself \(no emulator\)/],
      [TODO, /todo: packages\/demo\/src\/a\.test\.ts › someday/],
    ] as const) {
      const root = await tree({ 'packages/demo/src/a.test.ts': body });
      const ci = runner(root, true);
      assert.notEqual(ci.status, 0, ci.stdout + ci.stderr);
      assert.match(ci.stderr, line);
    }
  });

  test('a file that fails outside its tests (here: an import that does not resolve) counts as a failure', async () => {
    const root = await tree({
      'packages/demo/src/a.test.ts': PASSES,
      'packages/demo/src/broken.test.ts':
        "import './missing.ts';\nimport { test } from 'vitest';\ntest('never', () => {});\n",
    });
    const res = runner(root, false);
    assert.notEqual(res.status, 0, res.stdout + res.stderr);
    assert.match(res.stdout, /demo\s+1 passed \/ 1 failed \/ 0 skipped/);
    assert.match(res.stdout, /tests: 1 passed, 1 failed, 0 skipped/);
  });

  test('the opt-in real-cloud test may skip under CI=true; a failure still fails', async () => {
    const ok = await tree({ 'packages/demo/src/a.test.ts': PASSES, [ALLOWED]: OPT_IN });
    const res = runner(ok, true);
    assert.equal(res.status, 0, res.stdout + res.stderr);
    assert.match(res.stdout, /tests: 1 passed, 0 failed, 1 skipped/, 'the opt-in test was reported skipped');
    const failing = await tree({
      'packages/demo/src/a.test.ts':
        "import { test } from 'vitest';\ntest('fails', () => { throw new Error('x'); });\n",
      [ALLOWED]: OPT_IN,
    });
    assert.notEqual(runner(failing, true).status, 0);
  });

  test('the counting: per package, todo as skipped, a file failing outside its tests as one failure', () => {
    const summary = {
      tests: [
        { file: 'packages/a/src/x.test.ts', name: 'ok', outcome: 'passed' as const },
        { file: 'packages/a/src/x.test.ts', name: 'later', outcome: 'todo' as const },
        { file: 'packages/b/src/y.test.ts', name: 'no', outcome: 'failed' as const },
        { file: ALLOWED, name: 'real', outcome: 'skipped' as const, note: 'opt-in' },
      ],
      failedFiles: [{ file: 'packages/b/src/z.test.ts', error: 'Cannot find module' }],
    };
    assert.deepEqual(
      disallowedSkips(summary).map((t) => t.name),
      ['later'],
      'the opt-in file may skip; a todo elsewhere may not',
    );
    assert.equal(
      formatCounts(countsPerPackage(summary)),
      [
        'tests per package (by the test file that runs them):',
        '  a          1 passed / 0 failed / 1 skipped',
        '  b          0 passed / 2 failed / 0 skipped',
        '  loader     0 passed / 0 failed / 1 skipped',
        'tests: 1 passed, 2 failed, 2 skipped',
      ].join('\n'),
    );
  });
});

describe('run-tests.ts: the whole run is bounded', () => {
  test('a test file that never ends fails the run at the deadline, naming the file, and leaves nothing running', async () => {
    // A file that never ends: a test stuck in a loop no timeout can interrupt. It records its pid first.
    const HANGS =
      "import { writeFileSync } from 'node:fs';\nimport { test } from 'vitest';\n" +
      "test('spins for ever', () => { writeFileSync(process.env.EVENTKIT_PID_FILE ?? '', String(process.pid)); for (;;) {} });\n";
    const root = await tree({
      'packages/demo/src/a.test.ts': PASSES,
      'packages/demo/src/hangs.test.ts': HANGS,
    });
    const pidFile = path.join(root, 'spinner.pid');
    const started = Date.now();
    const res = runner(root, false, { EVENTKIT_TEST_DEADLINE_MINUTES: '0.25', EVENTKIT_PID_FILE: pidFile }); // 15 s
    const took = Date.now() - started;
    assert.notEqual(res.status, 0, res.stdout + res.stderr);
    assert.match(res.stderr, /passed its deadline of 0\.25 min/);
    assert.match(
      res.stderr,
      /files still running at the deadline: packages\/demo\/src\/hangs\.test\.ts$/m,
      'the report names the file that never ended, and only that one',
    );
    assert.ok(
      took >= 15_000 && took < 60_000,
      `ended at the deadline, not before and not much after (${took} ms)`,
    );
    const spinner = Number(readFileSync(pidFile, 'utf8'));
    assert.ok(spinner > 0);
    await eventually(() => !running(spinner), 5_000, `the spinning test process ${spinner} to be gone`);
  });
});
