// What a person sees on a terminal: the banner with a request to paste and the
// live one-line status, run under a real pseudo-terminal (util-linux `script`).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freeLoopbackPort, REPO_ROOT } from '@eventkit/testing';
import { afterAll, describe, test } from 'vitest';
import { until } from './support.int.ts';

const hasScript = spawnSync('script', ['--version']).status === 0;
let pid: number | undefined;
afterAll(() => {
  if (pid) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {}
  }
});

describe('eventkit-dev on a terminal', () => {
  test('prints the banner with a working curl, then a live status line that counts the event', async (t) => {
    t.skip(!hasScript, 'util-linux `script` is not installed');
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'eventkit-tty-'));
    const port = await freeLoopbackPort();
    const cmd = `exec ${process.execPath} ${REPO_ROOT}packages/local/src/cli.ts --host 127.0.0.1 --port ${port} --data-dir ${dataDir}`;
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], {
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {
        ...process.env,
        NODE_TEST_CONTEXT: undefined,
        EVENTKIT_JSON_LOGS: 'false',
        EVENTKIT_LOG_LEVEL: 'warn',
      },
    });
    pid = child.pid;
    let screen = '';
    child.stdout.on('data', (d) => {
      screen += d;
    });
    await until(() => screen.includes('Send an event:'), 30_000, 'the banner');
    assert.match(screen, new RegExp(`gateway {4}http://127\\.0\\.0\\.1:${port}`));
    assert.match(
      screen,
      new RegExp(`live {7}http://127\\.0\\.0\\.1:${port}/live {2}\\(the last events as they arrive\\)`),
    );
    // The banner's curl, run as printed.
    const curl = /curl -X POST [^\n]*\\\r?\n\s*-d '[^']*'/.exec(screen)?.[0];
    assert.ok(curl, `a curl command in the banner:\n${screen}`);
    const run = spawnSync('bash', ['-c', curl.replace(/\\\r?\n/, ' ')], { encoding: 'utf8' });
    assert.equal(run.stdout.trim(), '{"success":true}');
    await until(
      () => /received 1 · stored 1 · loaded 1 · dead-lettered 0 · WAL pending 0/.test(screen),
      30_000,
      'the status line',
    );
    process.kill(child.pid!, 'SIGINT');
    const code = await new Promise((resolve) => child.once('exit', resolve));
    pid = undefined;
    assert.equal(code, 0);
  });
});
