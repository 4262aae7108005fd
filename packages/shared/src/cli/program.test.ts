import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, test } from 'vitest';
import type { Env } from '../config/load.ts';
import { addConfigCommand } from './config-command.ts';
import { addSettingOptions, CliError, createProgram, EXIT_USAGE, runCli } from './program.ts';

/** Runs a small CLI in-process and captures what it prints. */
async function run(
  args: string[],
  env: Env = { GCP_PROJECT_ID: 'test-project' },
  extend?: (p: ReturnType<typeof createProgram>) => void,
) {
  const program = createProgram({ name: 'eventkit-gateway', version: '1.2.3', description: 'test program' });
  const logs = new PassThrough();
  let log = '';
  logs.on('data', (c: Buffer) => {
    log += c.toString();
  });
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: (s: string) => {
      stdout += s;
    },
    stderr: (s: string) => {
      stderr += s;
    },
  };
  addConfigCommand(program, 'gateway', { env, io, logDestination: logs });
  extend?.(program);
  const code = await runCli(program, ['node', 'eventkit-gateway', ...args], io);
  return { code, stdout, stderr, log };
}

describe('runCli', () => {
  test('--version prints the version, exit 0', async () => {
    const r = await run(['--version']);
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, '1.2.3\n', '']);
  });

  test('--help works on the program and on every command, exit 0', async () => {
    const top = await run(['--help']);
    assert.equal(top.code, 0);
    assert.match(top.stdout, /Usage: eventkit-gateway \[options\] \[command\]/);
    assert.match(top.stdout, /config \[options\]/);
    const sub = await run(['config', '--help']);
    assert.equal(sub.code, 0);
    assert.match(sub.stdout, /--port <n> +TCP port[\s\S]*?\[env\s+EVENTKIT_PORT;\s+default\s+8000\]/);
    assert.ok(
      sub.stdout.split('\n').every((line) => line.length <= 80 || !line.trim().includes(' ')),
      'wrapped to 80 columns (a single long word may overrun)',
    );
    assert.match(sub.stdout, /--json-logs \[true\|false\]/);
    assert.match(sub.stdout, /Gateway HTTP settings:/);
    assert.doesNotMatch(sub.stdout, /--event-store/, 'only the role’s settings');
  });

  test('an unknown option exits 2 with one error line and a usage hint on stderr', async () => {
    const r = await run(['config', '--prot', '9000']);
    assert.equal(r.code, EXIT_USAGE);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trimEnd().split('\n');
    assert.match(lines[0]!, /^eventkit-gateway: unknown option '--prot'/);
    assert.ok(lines.some((l) => l === 'Usage: eventkit-gateway config [options]'));
  });

  test('an unknown command or no command at all is bad usage', async () => {
    assert.equal((await run(['serve-all'])).code, EXIT_USAGE);
    const none = await run([]);
    assert.equal(none.code, EXIT_USAGE);
    assert.match(none.stderr, /Usage: eventkit-gateway/);
  });

  test('a missing option value is bad usage', async () => {
    const r = await run(['config', '--port']);
    assert.equal(r.code, EXIT_USAGE);
    assert.match(r.stderr, /^eventkit-gateway: option '--port <n>' argument missing/);
  });

  test('a bad setting exits 2 with exactly one line naming it', async () => {
    const r = await run(['config'], { GCP_PROJECT_ID: 'p', EVENTKIT_PORT: 'abc' });
    assert.equal(r.code, EXIT_USAGE);
    assert.equal(
      r.stderr,
      'eventkit-gateway: EVENTKIT_PORT (--port): expected an integer from 1 to 65535, got "abc"\n',
    );
    const flag = await run(['config', '--port', '0'], { GCP_PROJECT_ID: 'p' });
    assert.match(
      flag.stderr,
      /^eventkit-gateway: EVENTKIT_PORT \(--port\): expected an integer from 1 to 65535, got "0"\n$/,
    );
  });

  test('CliError exits with its code and one line; other errors exit 1', async () => {
    const failing = await run(['boom'], undefined, (p) => {
      p.command('boom').action(() => {
        throw new CliError('load job failed:\nquota exceeded', 3);
      });
    });
    assert.deepEqual(
      [failing.code, failing.stderr],
      [3, 'eventkit-gateway: load job failed: quota exceeded\n'],
    );
    const bug = await run(['bug'], undefined, (p) => {
      p.command('bug').action(() => {
        throw new TypeError('x is undefined');
      });
    });
    assert.equal(bug.code, 1);
    assert.match(bug.stderr, /^eventkit-gateway: TypeError: x is undefined/);
  });

  test('a data directory that cannot be created is one line naming the path and EVENTKIT_DATA_DIR, exit 2, not a stack', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'eventkit-cli-')), 'a-file');
    writeFileSync(file, '');
    const res = await run(['start'], undefined, (p) => {
      p.command('start').action(() => {
        mkdirSync(path.join(file, 'data'), { recursive: true }); // what opening the WAL does
      });
    });
    assert.equal(res.code, 2);
    assert.equal(res.stderr.split('\n').length, 2, res.stderr);
    assert.match(
      res.stderr,
      /^eventkit-gateway: cannot mkdir .*a-file\/data: a part of the path is a file, not a directory \(ENOTDIR\)\. .*EVENTKIT_DATA_DIR \(--data-dir/,
    );
    assert.doesNotMatch(res.stderr, /\bat \w+ \(/, 'no stack');
  });

  test('under --json every failure is one JSON object on stderr (stdout stays for results): command, configuration and usage errors', async () => {
    const failing = await run(['boom', '--json'], undefined, (p) => {
      p.command('boom')
        .option('--json')
        .action(() => {
          throw new CliError('load job failed:\nquota exceeded', 3);
        });
    });
    assert.equal(failing.code, 3);
    assert.equal(failing.stdout, '');
    assert.deepEqual(JSON.parse(failing.stderr), {
      error: { program: 'eventkit-gateway', message: 'load job failed: quota exceeded', exit_code: 3 },
    });
    const config = await run(['config', '--json'], { GCP_PROJECT_ID: 'p', EVENTKIT_PORT: 'abc' });
    assert.equal(config.code, 2);
    const configError = JSON.parse(config.stderr) as { error: { message: string; exit_code: number } };
    assert.match(configError.error.message, /^EVENTKIT_PORT \(--port\): expected an integer/);
    assert.equal(configError.error.exit_code, 2);
    const usage = await run(['config', '--json', '--no-such-flag']);
    assert.equal(usage.code, 2);
    assert.match(
      (JSON.parse(usage.stderr) as { error: { message: string } }).error.message,
      /unknown option '--no-such-flag'/,
    );
  });

  test('settings flags reach the action as config keys', async () => {
    let seen: unknown;
    const r = await run(['serve', '--port', '9001', '--wal-sync', 'normal'], undefined, (p) => {
      addSettingOptions(p.command('serve'), 'gateway').action((flags: Record<string, unknown>) => {
        seen = flags;
      });
    });
    assert.equal(r.code, 0);
    assert.deepEqual(seen, { port: '9001', walSync: 'normal' });
  });
});

describe('config command', () => {
  test('prints every setting of the role with where it came from, secrets masked', async () => {
    const r = await run(['config', '--port', '9000'], {
      GCP_PROJECT_ID: 'test-project',
      EVENTKIT_WRITE_KEYS: 'wk_live_abc=web',
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^eventkit-gateway configuration \(valid; secrets masked\):$/m);
    assert.match(r.stdout, /^ {2}EVENTKIT_PORT +9000 +flag --port$/m);
    assert.match(r.stdout, /^ {2}GCP_PROJECT_ID +test-project +env$/m);
    assert.match(r.stdout, /^ {2}EVENTKIT_WRITE_KEYS +\[REDACTED\] +env$/m);
    assert.match(r.stdout, /^ {2}EVENTKIT_WAL_SYNC +full +default$/m);
    assert.match(r.stdout, /^ {2}PUBSUB_EMULATOR_HOST +\(unset\)$/m);
    assert.ok(!r.stdout.includes('wk_live_abc'));
  });

  test('--json prints the redacted configuration, sources and warnings', async () => {
    const r = await run(['config', '--json'], {
      GCP_PROJECT_ID: 'test-project',
      EVENTKIT_WRITE_KEYS: 'wk_live_abc=web',
    });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as {
      role: string;
      config: Record<string, unknown>;
      sources: Record<string, string>;
    };
    assert.equal(out.role, 'gateway');
    // Keyed by the variables people set, as the listing and the README name them.
    assert.equal(out.config.EVENTKIT_WRITE_KEYS, '[REDACTED]');
    assert.equal(out.config.EVENTKIT_PORT, 8000);
    assert.equal(out.config.PUBSUB_EMULATOR_HOST, null);
    assert.equal(out.sources.EVENTKIT_WRITE_KEYS, 'env');
    assert.equal(out.sources.EVENTKIT_PORT, 'default');
    assert.ok(!('port' in out.config));
    assert.ok(!r.stdout.includes('wk_live_abc'));
  });

  test('deprecation warnings are logged, not printed with the configuration', async () => {
    const program = createProgram({ name: 'eventkit-worker', version: '1.2.3', description: 'test' });
    const logs = new PassThrough();
    let log = '';
    logs.on('data', (c: Buffer) => {
      log += c.toString();
    });
    let stdout = '';
    const io = {
      stdout: (s: string) => {
        stdout += s;
      },
      stderr: () => {},
    };
    const env = { GCP_PROJECT_ID: 'p', EVENTKIT_BUFFER_SIZE: '50', EVENTKIT_JSON_LOGS: 'true' };
    addConfigCommand(program, 'worker', { env, io, logDestination: logs });
    assert.equal(await runCli(program, ['node', 'eventkit-worker', 'config', '--json'], io), 0);
    const warning = JSON.parse(log.trim()) as Record<string, unknown>;
    assert.equal(warning.severity, 'WARNING');
    assert.equal(warning.message, 'config_warning');
    assert.match(String(warning.detail), /EVENTKIT_BUFFER_SIZE is deprecated/);
    const out = JSON.parse(stdout) as { config: Record<string, number>; warnings: string[] };
    assert.equal(out.config.EVENTKIT_EVENTLOADER_BATCH_SIZE, 50);
    assert.equal(out.warnings.length, 1);
  });
});
