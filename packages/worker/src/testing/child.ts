// Running `eventkit-worker run` as a child process in its own process group,
// for the crash and drain tests. Stopped by process group id, never by name.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../cli.ts', import.meta.url));

export interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  /** JSON log lines seen so far. */
  logs: Record<string, unknown>[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
}

/** A free loopback port (bound and released: fine for a test's own child process). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export function startWorkerProcess(env: Record<string, string>): WorkerProcess {
  const childEnv: Record<string, string | undefined> = {
    ...process.env,
    METADATA_SERVER_DETECTION: 'none',
    EVENTKIT_JSON_LOGS: 'true',
    EVENTKIT_LOG_LEVEL: 'info',
    EVENTKIT_METRICS_HOST: '127.0.0.1',
    ...env,
  };
  delete childEnv.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, [CLI, 'run'], {
    env: childEnv,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let buffered = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line));
      } catch {
        logs.push({ message: line });
      }
    }
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      if (code !== 0 && signal === null && stderr) process.stderr.write(`worker stderr:\n${stderr}\n`);
      resolve({ code, signal });
    });
  });
  const pid = child.pid ?? 0;
  return {
    child,
    pid,
    logs,
    exited,
    kill(signal) {
      try {
        process.kill(-pid, signal);
      } catch {
        // already gone
      }
    },
  };
}

export const logged = (w: WorkerProcess, message: string) => w.logs.filter((l) => l.message === message);
