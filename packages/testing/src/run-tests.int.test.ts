// scripts/run-tests.ts under CI=true: a skipped test fails the run unless its
// file is on the documented allow-list (the opt-in real-cloud test). Runs the
// runner itself on a fixture tree of tiny test files.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { ALLOWED_SKIPS, disallowedSkips } from '../../../scripts/skipped-tests.ts';
import { REPO_ROOT } from './process/cli-process.ts';

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

function runner(root: string, ci: boolean) {
  const env: NodeJS.ProcessEnv = { ...process.env, EVENTKIT_TEST_ROOT: root, NODE_TEST_CONTEXT: undefined };
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
