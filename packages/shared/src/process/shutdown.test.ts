// onShutdown in a real process (testing/shutdown-child.ts) that gets real
// signals: the drain runs once, a second signal forces the exit, the timeout
// is enforced, and the exit code is the drain's.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'vitest';

const CHILD = fileURLToPath(new URL('./testing/shutdown-child.ts', import.meta.url));

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  lines: Record<string, unknown>[];
}

interface Child {
  proc: ChildProcess;
  /** Resolves once stdout has a line containing `text`. */
  said(text: string): Promise<void>;
  exited: Promise<Exit>;
}

function start(env: Record<string, string> = {}): Child {
  const proc = spawn(process.execPath, [CHILD], {
    env: { ...process.env, ...env, NODE_TEST_CONTEXT: undefined },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  proc.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
    for (const w of waiters.filter((w) => out.includes(w.text))) w.resolve();
  });
  const exited = new Promise<Exit>((resolve) => {
    proc.once('exit', (code, signal) => {
      const lines = out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      resolve({ code, signal, lines });
    });
  });
  return {
    proc,
    exited,
    said: (text) =>
      new Promise<void>((resolve, reject) => {
        if (out.includes(text)) return resolve();
        waiters.push({ text, resolve });
        void exited.then(() => reject(new Error(`exited before saying ${text}: ${out}`)));
      }),
  };
}

const named = (lines: Record<string, unknown>[], message: string) =>
  lines.filter((l) => l.message === message);

describe('onShutdown', { concurrent: true }, () => {
  test('SIGTERM: the drain runs once, shutdown_complete carries its report, the exit code is the drain’s', async () => {
    const child = start({ DRAIN_MS: '200', EXIT_CODE: '3' });
    await child.said('ready');
    child.proc.kill('SIGTERM');
    const { code, lines } = await child.exited;
    assert.equal(code, 3);
    assert.equal(named(lines, 'drain_started').length, 1);
    assert.deepEqual(named(lines, 'drain_started')[0]?.reason, 'SIGTERM');
    const [requested] = named(lines, 'shutdown_requested');
    assert.equal(requested?.signal, 'SIGTERM');
    assert.equal(requested?.timeout_ms, 10_000);
    const [complete] = named(lines, 'shutdown_complete');
    assert.equal(complete?.remaining, 0);
    assert.equal(complete?.exit_code, 3);
    assert.equal(complete?.signal, 'SIGTERM');
  });

  test('SIGINT and a drain that reports nothing: exit 0', async () => {
    const child = start();
    await child.said('ready');
    child.proc.kill('SIGINT');
    const { code, lines } = await child.exited;
    assert.equal(code, 0);
    assert.equal(named(lines, 'shutdown_requested')[0]?.signal, 'SIGINT');
  });

  test('a second signal while draining forces the exit at once (128 + its number); the drain ran once', async () => {
    const child = start({ DRAIN_MS: '30000' });
    await child.said('ready');
    child.proc.kill('SIGTERM');
    await child.said('drain_started');
    child.proc.kill('SIGINT');
    const { code, lines } = await child.exited;
    assert.equal(code, 130);
    assert.equal(named(lines, 'drain_started').length, 1);
    assert.equal(named(lines, 'shutdown_forced')[0]?.signal, 'SIGINT');
    assert.equal(named(lines, 'shutdown_complete').length, 0);

    const again = start({ DRAIN_MS: '30000' });
    await again.said('ready');
    again.proc.kill('SIGTERM');
    await again.said('drain_started');
    again.proc.kill('SIGTERM');
    assert.equal((await again.exited).code, 143);
  });

  test('a drain past the timeout: shutdown_timed_out, exit 1, in about the timeout', async () => {
    const child = start({ DRAIN: 'hang', TIMEOUT_MS: '300' });
    await child.said('ready');
    const sent = Date.now();
    child.proc.kill('SIGTERM');
    const { code, lines } = await child.exited;
    const took = Date.now() - sent;
    assert.equal(code, 1);
    assert.equal(named(lines, 'shutdown_timed_out')[0]?.timeout_ms, 300);
    assert.equal(named(lines, 'shutdown_complete').length, 0);
    assert.ok(took >= 300 && took < 10_000, `exited after ${took} ms`);
  });

  test('a drain that fails: shutdown_failed with the error, exit 1', async () => {
    const child = start({ DRAIN: 'fail' });
    await child.said('ready');
    child.proc.kill('SIGTERM');
    const { code, lines } = await child.exited;
    assert.equal(code, 1);
    const [failed] = named(lines, 'shutdown_failed');
    assert.match(JSON.stringify(failed?.err), /the drain broke/);
  });

  test('begin(reason) drains without a signal, once; the lines carry the reason', async () => {
    const child = start({ BEGIN: 'subscription_failed', EXIT_CODE: '1' });
    const { code, lines } = await child.exited;
    assert.equal(code, 1);
    assert.equal(named(lines, 'drain_started').length, 1);
    assert.equal(named(lines, 'drain_started')[0]?.reason, 'subscription_failed');
    assert.equal(named(lines, 'shutdown_requested')[0]?.reason, 'subscription_failed');
    assert.equal(named(lines, 'shutdown_complete')[0]?.reason, 'subscription_failed');
  });

  test('after dispose() the handlers are gone: a signal ends the process as it would without them', async () => {
    const child = start({ DISPOSE: '1' });
    await child.said('disposed');
    child.proc.kill('SIGTERM');
    const { code, signal, lines } = await child.exited;
    assert.deepEqual([code, signal], [null, 'SIGTERM']);
    assert.equal(named(lines, 'drain_started').length, 0);
  });
});
