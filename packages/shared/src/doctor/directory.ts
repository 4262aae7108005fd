// A directory the role writes (the gateway's WAL, the local files, DuckDB):
// writable by this user, and with room. A directory that does not exist yet is
// judged by the nearest one that does, since the role creates it at start.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { type Check, CheckFailure, type CheckOutcome } from './check.ts';

export interface DirectoryCheckOptions {
  /** The setting that names the directory, for the fix (EVENTKIT_DATA_DIR). */
  setting: string;
  /** Below this many free bytes the check fails. */
  minFreeBytes: number;
}

export function directoryCheck(dir: string, options: DirectoryCheckOptions): Check {
  return {
    name: `directory ${dir}`,
    run: () => checkDirectory(path.resolve(dir), options),
  };
}

async function checkDirectory(
  dir: string,
  { setting, minFreeBytes }: DirectoryCheckOptions,
): Promise<CheckOutcome> {
  const existing = await nearestExisting(dir);
  const stat = await fs.stat(existing);
  if (!stat.isDirectory()) {
    throw new CheckFailure(`${existing} is a file, not a directory`, `point ${setting} at a directory`);
  }
  const probe = path.join(existing, `.eventkit-doctor-${randomUUID()}`);
  try {
    await fs.writeFile(probe, 'probe');
  } catch (err) {
    throw new CheckFailure(
      `cannot write in ${existing}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      `make it writable by uid ${process.getuid?.() ?? '?'} (in a container: the volume's fsGroup), or set ${setting} to a writable directory`,
    );
  } finally {
    await fs.rm(probe, { force: true });
  }
  const { bavail, bsize } = await fs.statfs(existing);
  const free = bavail * bsize;
  const where = existing === dir ? '' : ` (not there yet: created at start, under ${existing})`;
  if (free < minFreeBytes) {
    throw new CheckFailure(
      `writable, but only ${mib(free)} free, under the ${mib(minFreeBytes)} it may need${where}`,
      `free space on that filesystem or give ${setting} a larger volume`,
    );
  }
  return { status: 'ok', detail: `writable, ${mib(free)} free${where}` };
}

async function nearestExisting(dir: string): Promise<string> {
  for (let at = dir; ; at = path.dirname(at)) {
    try {
      await fs.access(at);
      return at;
    } catch {
      if (path.dirname(at) === at) return at;
    }
  }
}

const mib = (bytes: number) => `${Math.floor(bytes / (1024 * 1024))} MiB`;
