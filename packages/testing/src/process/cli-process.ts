// Running an eventkit CLI as a real child process in tests: its own process
// group, a readiness wait on an HTTP URL, captured output, and a stop by PID
// (never by name). A test that SIGKILLs it can start it again on the same files.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

export interface CliProcessOptions {
  /** Package folder under packages/: gateway, worker, loader, local. */
  pkg: string;
  args: readonly string[];
  env?: Record<string, string | undefined>;
  /** Polled until it answers 2xx, up to `readyTimeoutMs`. */
  readyUrl?: string;
  readyTimeoutMs?: number;
}

export interface CliProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** Sends a signal to the process (SIGTERM by default) and waits for it to exit. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | string>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startCli(options: CliProcessOptions): Promise<CliProcess> {
  const script = `${REPO_ROOT}packages/${options.pkg}/src/cli.ts`;
  const child = spawn(process.execPath, [script, ...options.args], {
    cwd: REPO_ROOT,
    env: { ...process.env, METADATA_SERVER_DETECTION: 'none', NODE_TEST_CONTEXT: undefined, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  let done = false;
  void exited.then(() => {
    done = true;
  });
  const kill = () => {
    if (!done && child.pid) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
    }
  };
  process.once('exit', kill);

  const proc: CliProcess = {
    pid: child.pid ?? -1,
    child,
    output: () => out,
    exited,
    async stop(signal = 'SIGTERM', timeoutMs = 30_000) {
      if (!done && child.pid) process.kill(child.pid, signal);
      const timer = setTimeout(kill, timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };

  if (options.readyUrl) {
    const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
    for (;;) {
      if (done) throw new Error(`${options.pkg} exited before it was ready:\n${out}`);
      try {
        const res = await fetch(options.readyUrl);
        if (res.ok) break;
      } catch {}
      if (Date.now() > deadline) {
        kill();
        throw new Error(
          `${options.pkg} not ready at ${options.readyUrl} after ${options.readyTimeoutMs ?? 30_000} ms:\n${out}`,
        );
      }
      await sleep(50);
    }
  }
  return proc;
}
