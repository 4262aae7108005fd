// Child processes that run in their own process group, so that stopping one
// stops everything it started (the Firestore launcher is a bash script that
// forks java). Every group is also killed when this process exits, and a tiny
// shell watchdog in the group kills it if this process dies without running
// its exit handlers (SIGKILL, crash), so no emulator outlives its test run.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';

export interface GroupProcess {
  /** Pid of the group leader, which is also the process group id. */
  readonly pid: number;
  /** Resolves with the leader's exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** The last lines the process wrote to stderr (and stdout), for error messages. */
  outputTail(): string;
  /** SIGTERM to the group, SIGKILL after `graceMs`, then waits until no member is left. */
  stop(graceMs?: number): Promise<void>;
}

// Runs the command in the background and polls: when the test process is gone,
// it takes the whole group down (TERM, then KILL).
const WATCHDOG = `
parent=$1; shift
"$@" &
child=$!
while kill -0 "$parent" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 0.5; done
if kill -0 "$child" 2>/dev/null; then
  trap '' TERM
  kill -TERM 0
  i=0
  while kill -0 "$child" 2>/dev/null && [ "$i" -lt 10 ]; do sleep 0.5; i=$((i+1)); done
  kill -KILL 0
fi
wait "$child"
`;

const live = new Set<number>();
let handlersInstalled = false;

function killAllNow(): void {
  for (const pgid of live) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}

function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      killAllNow();
      // If nobody else handles the signal, restore the default action (exit) and re-raise it.
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
}

const TAIL_LINES = 40;

export function spawnGroup(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): GroupProcess {
  installExitHandlers();
  const child: ChildProcess = spawn(
    '/bin/sh',
    ['-c', WATCHDOG, 'eventkit-watchdog', String(process.pid), command, ...args],
    {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
    },
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${command}`);
  live.add(pid);

  const lines: string[] = [];
  const collect = (stream: NodeJS.ReadableStream | null) => {
    if (!stream) return;
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) if (line.trim()) lines.push(line);
      if (lines.length > TAIL_LINES) lines.splice(0, lines.length - TAIL_LINES);
    });
    // The pipes must never keep the test process alive.
    (stream as unknown as { unref?: () => void }).unref?.();
  };
  collect(child.stdout);
  collect(child.stderr);
  child.unref();

  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      resolve(code);
    });
  });

  let stopping: Promise<void> | undefined;
  return {
    pid,
    exited,
    outputTail: () => lines.join('\n'),
    stop(graceMs = 5000) {
      stopping ??= (async () => {
        signalGroup(pid, 'SIGTERM');
        if (!(await waitGroupGone(pid, graceMs))) {
          signalGroup(pid, 'SIGKILL');
          if (!(await waitGroupGone(pid, 5000))) throw new Error(`process group ${pid} survived SIGKILL`);
        }
        await exited;
        live.delete(pid);
      })();
      return stopping;
    },
  };
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

async function waitGroupGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (processGroupAlive(pgid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/**
 * True while any process of the group is running. kill(-pgid, 0) also succeeds
 * for zombies (exited, not yet reaped), so on Linux the members' states are read
 * from /proc.
 */
export function processGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (process.platform !== 'linux') return true;
  return groupMembers(pgid).some((m) => m.state !== 'Z' && m.state !== 'X');
}

/** Processes of a group with their state letter, from /proc (Linux only). */
export function groupMembers(pgid: number): { pid: number; state: string }[] {
  const members: { pid: number; state: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // pid (comm) state ppid pgrp ... — comm may contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid) members.push({ pid: Number(entry), state: fields[0] ?? '?' });
  }
  return members;
}

/** A port that was free on 127.0.0.1 a moment ago (the OS picks it). */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no port assigned');
  return address.port;
}

/** One GET without connection reuse; resolves with the status code (0 when the connection failed). */
export function httpStatus(url: string, timeoutMs = 1000): Promise<number> {
  return new Promise((resolve) => {
    const req = get(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}
