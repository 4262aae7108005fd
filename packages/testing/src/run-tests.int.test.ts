// scripts/run-tests.ts under CI=true: a skipped test fails the run unless its
// file is on the documented allow-list (the opt-in real-cloud test). Runs the
// runner itself on a fixture tree of tiny test files.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { ALLOWED_SKIPS, disallowedSkips } from '../../../scripts/skipped-tests.ts';
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

async function eventually(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const ALLOWED = 'packages/loader/src/warehouse/bigquery/bigquery-real.int.test.ts';
const trees: string[] = [];
after(async () => {
  for (const t of trees) await rm(t, { recursive: true, force: true });
});

async function tree(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), 'eventkit-run-tests-'));
  trees.push(root);
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
    NODE_TEST_CONTEXT: undefined,
    ...extraEnv,
  };
  if (ci) env.CI = 'true';
  else delete env.CI;
  return spawnSync(process.execPath, [`${REPO_ROOT}scripts/run-tests.ts`, 'all'], { encoding: 'utf8', env });
}

const PASSES = "import { test } from 'node:test';\ntest('passes', () => {});\n";
const SKIPS =
  "import { test } from 'node:test';\ntest('passes', () => {});\ntest('left behind', { skip: 'no emulator' }, () => {});\n";
const SKIPS_AT_RUNTIME =
  "import { test } from 'node:test';\ntest('skips itself', (t) => { t.skip('later'); });\n";
const TODO = "import { test } from 'node:test';\ntest('someday', { todo: true }, () => {});\n";
const OPT_IN =
  "import { test } from 'node:test';\ntest('real project', { skip: 'no credentials' }, () => {});\n";

describe('run-tests.ts: skipped tests under CI=true', () => {
  test('the allow-list is the documented opt-in real-cloud test, and that file exists', async () => {
    assert.deepEqual(Object.keys(ALLOWED_SKIPS), [ALLOWED]);
    assert.equal(spawnSync('test', ['-f', `${REPO_ROOT}${ALLOWED}`]).status, 0);
  });

  test('a skipped test fails the run under CI=true, naming it; without CI the same run passes', async () => {
    const root = await tree({ 'packages/demo/src/a.test.ts': PASSES, 'packages/demo/src/b.test.ts': SKIPS });
    const ci = runner(root, true);
    assert.notEqual(ci.status, 0, ci.stdout + ci.stderr);
    assert.match(ci.stderr, /skipped: packages\/demo\/src\/b\.test\.ts › left behind \(no emulator\)/);
    assert.match(ci.stdout, /tests: 2 passed, 0 failed, 1 skipped/, 'the tests themselves passed');
    const local = runner(root, false);
    assert.equal(local.status, 0, local.stdout + local.stderr);
  });

  test('t.skip() at run time and todo tests count as skipped too', async () => {
    for (const body of [SKIPS_AT_RUNTIME, TODO]) {
      const root = await tree({ 'packages/demo/src/a.test.ts': body });
      const ci = runner(root, true);
      assert.notEqual(ci.status, 0, ci.stdout + ci.stderr);
      assert.match(ci.stderr, /packages\/demo\/src\/a\.test\.ts/);
    }
  });

  test('the opt-in real-cloud test may skip under CI=true; a failure still fails', async () => {
    const ok = await tree({ 'packages/demo/src/a.test.ts': PASSES, [ALLOWED]: OPT_IN });
    const res = runner(ok, true);
    assert.equal(res.status, 0, res.stdout + res.stderr);
    assert.match(res.stdout, /tests: 1 passed, 0 failed, 1 skipped/, 'the opt-in test was reported skipped');
    const failing = await tree({
      'packages/demo/src/a.test.ts':
        "import { test } from 'node:test';\ntest('fails', () => { throw new Error('x'); });\n",
      [ALLOWED]: OPT_IN,
    });
    assert.notEqual(runner(failing, true).status, 0);
  });

  test('the JUnit reading: names, files relative to the root, escaped characters', () => {
    const xml = `<testsuites>
      <testcase name="ok" time="0.1" classname="test" file="/r/packages/a/src/x.test.ts"/>
      <testcase name="a &quot;quoted&quot; &amp; &lt;odd&gt; name" time="0" classname="test" file="/r/packages/a/src/x.test.ts">
        <skipped type="skipped" message="why"/>
      </testcase>
      <testcase name="real" time="0" classname="test" file="/r/${ALLOWED}"><skipped type="skipped" message="opt-in"/></testcase>
    </testsuites>`;
    assert.deepEqual(disallowedSkips(xml, '/r'), [
      { name: 'a "quoted" & <odd> name', file: 'packages/a/src/x.test.ts', type: 'skipped', message: 'why' },
    ]);
  });
});

describe('run-tests.ts: the whole run is bounded', () => {
  test('a test file that never ends fails the run at the deadline, naming the file, and leaves nothing running', async () => {
    // The hang that once used up a CI run: a test's child process that holds the file's output open for ever.
    const HANGS =
      "import { spawn } from 'node:child_process';\nimport { test } from 'node:test';\n" +
      "test('starts a child that never ends', () => { const c = spawn('sleep', ['600'], { stdio: 'inherit' });" +
      " process.stdout.write('sleeper ' + c.pid + '\\n'); });\n";
    const root = await tree({
      'packages/demo/src/a.test.ts': PASSES,
      'packages/demo/src/hangs.test.ts': HANGS,
    });
    const started = Date.now();
    const res = runner(root, false, { EVENTKIT_TEST_DEADLINE_MINUTES: '0.1' }); // 6 s
    const took = Date.now() - started;
    assert.notEqual(res.status, 0, res.stdout + res.stderr);
    assert.match(res.stderr, /passed its deadline of 0\.1 min/);
    assert.match(res.stdout + res.stderr, /hangs\.test\.ts/, 'the report names the file still running');
    assert.ok(
      took >= 6_000 && took < 60_000,
      `ended at the deadline, not before and not much after (${took} ms)`,
    );
    const sleeper = Number(/sleeper (\d+)/.exec(res.stdout)?.[1]);
    assert.ok(sleeper > 0, res.stdout);
    await eventually(() => !running(sleeper), 5_000, `the hanging file's child ${sleeper} to be gone`);
  });
});
