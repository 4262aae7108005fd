// The real executables as child processes (each in its own process group, via
// @eventkit/testing's startCli), with every line they wrote kept for the
// report's log scan, and stopped by PID only.
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type CliProcess, REPO_ROOT, startCli } from '@eventkit/testing';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Where every process's output goes; the log scan reads all of it. */
export class LogBook {
  readonly dir: string;
  #n = 0;
  readonly files: string[] = [];
  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
  }
  /** A new file name for one process life. */
  file(name: string): string {
    const f = join(this.dir, `${String(++this.#n).padStart(3, '0')}-${name}.log`);
    this.files.push(f);
    return f;
  }
}

export interface Proc {
  readonly name: string;
  readonly cli: CliProcess;
  /** True once it exited (killed, crashed or stopped). */
  exited(): boolean;
  exitCode(): number | string | undefined;
  kill9(): Promise<void>;
  /** SIGTERM and wait (SIGKILL after `timeoutMs`). */
  term(timeoutMs?: number): Promise<number | string>;
  output(): string;
}

export async function startProc(
  book: LogBook,
  name: string,
  opts: {
    pkg: string;
    args: string[];
    env: Record<string, string | undefined>;
    readyUrl?: string;
    readyTimeoutMs?: number;
  },
): Promise<Proc> {
  const file = book.file(name);
  const cli = await startCli({
    pkg: opts.pkg,
    args: opts.args,
    env: { ...baseEnv(), ...opts.env },
    ...(opts.readyUrl ? { readyUrl: opts.readyUrl, readyTimeoutMs: opts.readyTimeoutMs ?? 60_000 } : {}),
  });
  let written = 0;
  const flush = () => {
    const out = cli.output();
    if (out.length > written) {
      appendFileSync(file, out.slice(written));
      written = out.length;
    }
  };
  const timer = setInterval(flush, 1000);
  timer.unref();
  let code: number | string | undefined;
  void cli.exited.then((c) => {
    code = c;
    clearInterval(timer);
    flush();
  });
  return {
    name,
    cli,
    exited: () => code !== undefined,
    exitCode: () => code,
    async kill9() {
      if (code === undefined) {
        try {
          process.kill(-cli.pid, 'SIGKILL');
        } catch {}
      }
      await cli.exited;
      flush();
    },
    async term(timeoutMs = 30_000) {
      const c = await cli.stop('SIGTERM', timeoutMs);
      flush();
      return c;
    },
    output: () => cli.output(),
  };
}

/** Runs a CLI to completion (bounded), its output appended to the log book. */
export function runCli(
  book: LogBook,
  name: string,
  pkg: string,
  args: string[],
  env: Record<string, string | undefined>,
  timeoutMs = 60_000,
  /** false for commands whose stdout is data (query results), not log lines. */
  logStdout = true,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const file = book.file(name);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'packages', pkg, 'src/cli.ts'), ...args], {
      cwd: REPO_ROOT,
      env: { ...baseEnv(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {}
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      appendFileSync(file, (logStdout ? stdout : '') + stderr);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The environment every child starts from: the runner's, minus anything eventkit or Google would read. */
export function baseEnv(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env, METADATA_SERVER_DETECTION: 'none' };
  for (const key of Object.keys(env)) {
    if (/^(EVENTKIT_|GCP_|PUBSUB_|FIRESTORE_|STORAGE_EMULATOR|GOOGLE_)/.test(key)) env[key] = undefined;
  }
  return env;
}
