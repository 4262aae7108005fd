// The four real executables, spawned as an operator (or a container) runs them.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'vitest';

const PACKAGES = fileURLToPath(new URL('../../../', import.meta.url));

const CLIS = [
  { bin: 'eventkit-gateway', pkg: 'gateway' },
  { bin: 'eventkit-worker', pkg: 'worker' },
  { bin: 'eventkit-loader', pkg: 'loader' },
  { bin: 'eventkit-dev', pkg: 'local' },
] as const;

/** The test runner's environment without any eventkit or Google setting, so results do not depend on the shell. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(EVENTKIT_|GCP_|GOOGLE_|[A-Z]+_EMULATOR_HOST$)/.test(k)) env[k] = v;
  }
  return { ...env, ...extra };
}

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a CLI to completion (asynchronously, so the tests of a suite can run side by side). */
function run(pkg: string, args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [`${PACKAGES}${pkg}/src/cli.ts`, ...args],
      // Generous: a CLI starts in about a second, but a loaded machine can take far longer.
      { encoding: 'utf8', env: cleanEnv(env), timeout: 120_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const versionOf = (pkg: string): string =>
  (JSON.parse(readFileSync(`${PACKAGES}${pkg}/package.json`, 'utf8')) as { version: string }).version;

/** Enough for every role to be valid (Pub/Sub needs a project). */
const VALID = { GCP_PROJECT_ID: 'test-project' };

for (const { bin, pkg } of CLIS) {
  describe(bin, { concurrent: true }, () => {
    test('--version prints the package version, exit 0', async () => {
      const r = await run(pkg, ['--version']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), versionOf(pkg));
    });

    test('--help lists the commands, exit 0', async () => {
      const r = await run(pkg, ['--help']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^Usage: ${bin} `, 'm'));
      assert.match(r.stdout, /^Commands:$/m);
      assert.match(r.stdout, /^ {2}config \[options\]/m);
    });

    test('config --help lists the role’s settings as flags with their variables and defaults', async () => {
      const r = await run(pkg, ['config', '--help']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /--log-level <level> +Lowest log level written:\s+trace,/);
      assert.match(r.stdout, /\[env\s+EVENTKIT_LOG_LEVEL;\s+default\s+info\]/);
    });

    test('an unknown option exits 2 with the error and usage on stderr', async () => {
      const r = await run(pkg, ['--no-such-option']);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, new RegExp(`^${bin}: unknown option '--no-such-option'`));
      assert.match(r.stderr, new RegExp(`^Usage: ${bin} \\[options\\] \\[command\\]$`, 'm'));
    });

    test('a bad setting exits 2 with one stderr line naming it', async () => {
      const r = await run(pkg, ['config'], { ...VALID, EVENTKIT_LOG_LEVEL: 'loud' });
      assert.equal(r.code, 2);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr.split('\n').filter(Boolean).length, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`^${bin}: EVENTKIT_LOG_LEVEL \\(--log-level\\): expected one of `));
    });

    test('config --json prints parseable JSON', async () => {
      const r = await run(pkg, ['config', '--json'], VALID);
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { config: Record<string, unknown> };
      assert.equal(out.config.EVENTKIT_LOG_LEVEL, 'info');
    });
  });
}

describe('the gateway and dev configuration', { concurrent: true }, () => {
  test('EVENTKIT_PORT=abc: exit 2, exactly one stderr line naming EVENTKIT_PORT', async () => {
    for (const pkg of ['gateway', 'local']) {
      const r = await run(pkg, ['config'], { ...VALID, EVENTKIT_PORT: 'abc' });
      assert.equal(r.code, 2);
      const lines = r.stderr.split('\n').filter(Boolean);
      assert.equal(lines.length, 1, r.stderr);
      assert.match(
        lines[0]!,
        /^eventkit-(gateway|dev): EVENTKIT_PORT \(--port\): expected an integer from 1 to 65535, got "abc"$/,
      );
    }
  });

  test('config --json masks the write keys', async () => {
    for (const pkg of ['gateway', 'local']) {
      const r = await run(pkg, ['config', '--json'], {
        ...VALID,
        EVENTKIT_WRITE_KEYS: 'wk_live_s3cr3t=web,wk_live_0th3r=server',
      });
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { config: Record<string, unknown> };
      assert.equal(out.config.EVENTKIT_WRITE_KEYS, '[REDACTED]');
      assert.ok(!`${r.stdout}${r.stderr}`.includes('wk_live'), 'a write key leaked');
    }
  });

  test('a flag overrides the environment', async () => {
    const r = await run('gateway', ['config', '--json', '--port', '9001'], {
      ...VALID,
      EVENTKIT_PORT: '8001',
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { config: { EVENTKIT_PORT: number } }).config.EVENTKIT_PORT, 9001);
  });

  test('a missing project is named for the gateway, not for dev on its defaults', async () => {
    const gateway = await run('gateway', ['config']);
    assert.equal(gateway.code, 2);
    assert.match(gateway.stderr, /^eventkit-gateway: GCP_PROJECT_ID \(--gcp-project-id\): required/);
    const dev = await run('local', ['config']);
    assert.equal(dev.code, 0, dev.stderr);
    assert.match(dev.stdout, /^ {2}EVENTKIT_HOST +127\.0\.0\.1 +default$/m);
  });

  test('deprecated aliases log a warning on stderr and still apply', async () => {
    const r = await run('worker', ['config', '--json'], {
      ...VALID,
      EVENTKIT_BUFFER_TIMEOUT: '2.5',
      EVENTKIT_JSON_LOGS: 'true',
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      (JSON.parse(r.stdout) as { config: Record<string, number> }).config.EVENTKIT_EVENTLOADER_FLUSH_INTERVAL,
      2.5,
    );
    const warning = JSON.parse(r.stderr.trim()) as Record<string, unknown>;
    assert.equal(warning.severity, 'WARNING');
    assert.match(String(warning.detail), /EVENTKIT_BUFFER_TIMEOUT is deprecated/);
  });
});
