// Running `eventkit-dev` as a user would (a real process on a data directory)
// and reading the warehouse the way a user would (`eventkit-loader query`).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type CliProcess, freeLoopbackPort, REPO_ROOT, startCli } from '@eventkit/testing';

export interface Dev {
  proc: CliProcess;
  url: string;
  dataDir: string;
}

export async function startDev(env: Record<string, string> = {}, dataDir?: string): Promise<Dev> {
  const dir = dataDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'eventkit-dev-')));
  const port = await freeLoopbackPort();
  const proc = await startCli({
    pkg: 'local',
    args: ['--host', '127.0.0.1', '--port', String(port), '--data-dir', dir],
    env: {
      EVENTKIT_JSON_LOGS: 'true',
      EVENTKIT_LOG_LEVEL: 'info',
      EVENTKIT_WAREHOUSE_LOADER_INTERVAL: '1',
      ...env,
    },
    readyUrl: `http://127.0.0.1:${port}/ready`,
  });
  return { proc, url: `http://127.0.0.1:${port}`, dataDir: dir };
}

/** `eventkit-loader query --json SQL` against the dev data directory. */
export function query<T = Record<string, unknown>>(dataDir: string, sql: string): T[] {
  const res = spawnSync(
    process.execPath,
    [`${REPO_ROOT}packages/loader/src/cli.ts`, 'query', '--json', '--data-dir', dataDir, sql],
    {
      encoding: 'utf8',
      env: { ...process.env, NODE_TEST_CONTEXT: undefined },
    },
  );
  if (res.status !== 0) throw new Error(`query failed (${res.status}): ${res.stderr}`);
  return JSON.parse(res.stdout) as T[];
}

export async function until(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
