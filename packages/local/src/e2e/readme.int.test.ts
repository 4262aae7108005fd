// The README's local commands run as printed after `make dev`: the request the banner says to
// paste (curl), then every command of "Querying the local warehouse", of "Segment-shaped views"
// and the banner's query,
// in a fresh directory with a `bin/` like the checkout's, against `bin/eventkit-dev` running
// there on its defaults. The one edit: the port, 8000 in the README, is a free one here (the
// test sets EVENTKIT_PORT for eventkit-dev and rewrites the curl URL to match).
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freeLoopbackPort, REPO_ROOT } from '@eventkit/testing';
import { afterAll, describe, test } from 'vitest';
import { until } from './support.int.ts';

const README = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');

/** The banner's curl (with its continuation line), and the sh block under a heading, comments dropped. */
function bannerCurl(): string {
  const m = /^ +(curl -X POST http:\/\/127\.0\.0\.1:8000\/v1\/track .*\\)\n +(-d .*)$/m.exec(README);
  assert.ok(m, 'the banner shows a curl request');
  return `${m[1]!.slice(0, -1)} ${m[2]}`;
}
function bannerQuery(): string {
  const m = /^ +(bin\/eventkit-loader query .*)$/m.exec(README);
  assert.ok(m, 'the banner shows a query');
  return m[1]!;
}
function shBlockAfter(heading: string): string[] {
  const at = README.indexOf(`\n${heading}\n`);
  assert.ok(at >= 0, heading);
  const block = /```sh\n([\s\S]*?)```/.exec(README.slice(at))![1]!;
  return block
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter(Boolean);
}

const dir = mkdtempSync(path.join(tmpdir(), 'eventkit-readme-'));
let dev: ChildProcess | undefined;
afterAll(async () => {
  if (dev?.pid && dev.exitCode === null) {
    process.kill(dev.pid, 'SIGTERM');
    await new Promise((r) => dev?.once('exit', r));
  }
  rmSync(dir, { recursive: true, force: true });
});

function sh(command: string) {
  return spawnSync('bash', ['-c', command], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, NODE_TEST_CONTEXT: undefined },
    timeout: 60_000,
  });
}

describe('the README, as a new user runs it', () => {
  test('after bin/eventkit-dev: the banner request, then every query and status command, exit 0 with what they promise', async () => {
    // bin/ as in the checkout: each script runs the checkout's own.
    mkdirSync(path.join(dir, 'bin'));
    for (const name of ['eventkit-dev', 'eventkit-gateway', 'eventkit-worker', 'eventkit-loader']) {
      const file = path.join(dir, 'bin', name);
      writeFileSync(file, `#!/usr/bin/env bash\nexec "${REPO_ROOT}bin/${name}" "$@"\n`);
      chmodSync(file, 0o755);
    }
    const port = await freeLoopbackPort();
    dev = spawn(path.join(dir, 'bin', 'eventkit-dev'), [], {
      cwd: dir,
      env: { ...process.env, EVENTKIT_PORT: String(port), NODE_TEST_CONTEXT: undefined },
      stdio: 'ignore',
    });
    await until(
      async () => (await fetch(`http://127.0.0.1:${port}/ready`).catch(() => undefined))?.ok === true,
      60_000,
      'eventkit-dev ready',
    );

    const curl = sh(bannerCurl().replace('127.0.0.1:8000', `127.0.0.1:${port}`));
    assert.equal(curl.status, 0, curl.stderr);
    assert.equal(curl.stdout, '{"success":true}');

    const count = () => {
      const r = sh(`bin/eventkit-loader query --json "select count(*)::int as n from events.raw_events"`);
      return r.status === 0 && (JSON.parse(r.stdout) as { n: number }[])[0]?.n === 1;
    };
    await until(count, 60_000, 'the event in the warehouse (loaded every 5 s)');

    const commands = [bannerQuery(), ...shBlockAfter('## Querying the local warehouse')];
    assert.ok(commands.length >= 5, commands.join('\n'));
    for (const command of commands) {
      const r = sh(command);
      assert.equal(r.status, 0, `${command}\n${r.stderr}`);
      assert.ok(r.stdout.trim().length > 0, `${command} printed nothing`);
    }
    assert.match(sh(bannerQuery()).stdout, /Button Clicked/);
    assert.match(sh(commands.find((c) => c.includes('--json'))!).stdout, /"user_id": "user_123"/);

    // The views' commands: `views` creates them, then the queries read them.
    const views = shBlockAfter('## Segment-shaped views');
    assert.ok(views.length >= 3, views.join('\n'));
    for (const command of views) {
      const r = sh(command);
      assert.equal(r.status, 0, `${command}\n${r.stderr}`);
      assert.ok(r.stdout.trim().length > 0, `${command} printed nothing`);
    }
    const perEvent = sh(views.find((c) => c.includes('button_clicked'))!).stdout;
    assert.match(perEvent, /user_123/);
    assert.match(perEvent, /pro/, "the banner event's property is a column of its view");
  });
});
