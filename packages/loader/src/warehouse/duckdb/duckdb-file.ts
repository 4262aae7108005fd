// Opening the DuckDB file, briefly. DuckDB lets one process write a database
// file (or several read it), and takes the lock for as long as the database is
// open. So the loader opens the file for one operation and closes it straight
// after, and `eventkit-loader query` from another terminal gets in between:
// whoever finds the file locked retries for a while.
//
// Inside one process DuckDB does not protect the file at all (POSIX locks are
// per process: a second open in the same process succeeds and the two
// instances corrupt each other), so opens of one path are serialized here.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';

export interface OpenOptions {
  readOnly?: boolean;
  /** How long to keep retrying while another process holds the file. Default 10 s. */
  lockTimeoutMs?: number;
}

import { DuckDbLockedError, DuckDbMissingError } from './errors.ts';

export { DuckDbLockedError, DuckDbMissingError };

const LOCKED = /Could not set lock on file|Conflicting lock is held/i;
const queues = new Map<string, Promise<unknown>>();

/** Runs `fn` with an open connection to the database at `path`, then closes the database. */
export async function withDuckDb<T>(
  path: string,
  options: OpenOptions,
  fn: (conn: DuckDBConnection) => Promise<T>,
): Promise<T> {
  const file = resolve(path);
  const previous = queues.get(file) ?? Promise.resolve();
  const run = previous.catch(() => undefined).then(() => openAndRun(file, options, fn));
  const tail = run.catch(() => undefined);
  queues.set(file, tail);
  try {
    return await run;
  } finally {
    if (queues.get(file) === tail) queues.delete(file);
  }
}

async function openAndRun<T>(file: string, options: OpenOptions, fn: (c: DuckDBConnection) => Promise<T>) {
  if (options.readOnly && !existsSync(file)) throw new DuckDbMissingError(`no DuckDB warehouse at ${file}`);
  if (!options.readOnly) await mkdir(dirname(file), { recursive: true });
  const instance = await openWithRetry(file, options);
  try {
    const conn = await instance.connect();
    try {
      // Naive timestamps in files are UTC, and results print in UTC, whatever the machine's zone.
      await conn.run(`SET TimeZone = 'UTC'`);
      return await fn(conn);
    } finally {
      conn.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

async function openWithRetry(file: string, options: OpenOptions): Promise<DuckDBInstance> {
  const deadline = Date.now() + (options.lockTimeoutMs ?? 10_000);
  let delay = 20;
  for (;;) {
    try {
      return await DuckDBInstance.create(file, options.readOnly ? { access_mode: 'READ_ONLY' } : {});
    } catch (err) {
      const message = (err as Error).message;
      if (!LOCKED.test(message)) throw err;
      if (Date.now() + delay > deadline) {
        throw new DuckDbLockedError(`${file} is in use by another process (${message.split('\n')[0]})`);
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 500);
    }
  }
}

/** A SQL string literal. */
export const lit = (s: string): string => `'${s.replaceAll("'", "''")}'`;
/** A quoted SQL identifier. */
export const ident = (s: string): string => `"${s.replaceAll('"', '""')}"`;
