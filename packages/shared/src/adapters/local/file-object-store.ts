// A directory on the local disk behaving like a GCS bucket: same keys, same
// create-only semantics, same ordered listing. The local mode's `file` sink and
// the local loader both use it, so the layout under EVENTKIT_DATA_DIR is the
// layout of the bucket.
//
// Durability: an object is written to a hidden temporary file, fsync'd, then
// linked (create-only) or renamed (overwrite) into place, and the directory is
// fsync'd. A crash leaves either no object or the complete object — never a
// half file that looks complete; stray temporaries are hidden from listings.
//
// Generations and conditional writes. An object's generation is its file's
// inode and modification time in nanoseconds: every write renames or links a
// fresh file into place, so every write changes it. A conditional put or
// delete (`ifGenerationMatch`) holds a per-key lock file while it compares the
// generation and renames/unlinks: the lock is created with link(), which is
// atomic, and holds the owner's PID. A lock whose process is gone (killed
// inside those few milliseconds) is broken by the next writer. PIDs are only
// meaningful on one machine: a data directory is used from one host (the
// local mode), not shared over a network file system between hosts.
import { randomUUID } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import {
  type DeleteOptions,
  type ListOptions,
  type ListPage,
  ObjectExistsError,
  type ObjectInfo,
  ObjectNotFoundError,
  type ObjectStore,
  PreconditionFailedError,
  type PutOptions,
} from '../../ports/object-store.ts';

const TEMP_PREFIX = '.tmp-';
/** How long a conditional write waits for another writer's lock on the same key. */
const LOCK_WAIT_MS = 10_000;

export class ObjectLockedError extends Error {
  constructor(key: string) {
    super(`object "${key}" stayed locked by another writer for ${LOCK_WAIT_MS / 1000} s`);
    this.name = 'ObjectLockedError';
  }
}

interface FileStat {
  size: number;
  mtime: Date;
  generation: string;
}

async function fileStat(file: string): Promise<FileStat | undefined> {
  try {
    const s = await fs.stat(file, { bigint: true });
    if (!s.isFile()) return undefined;
    return { size: Number(s.size), mtime: s.mtime, generation: `${s.ino}.${s.mtimeNs}` };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** True when the process named in a lock file no longer exists (on this machine). */
function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class InvalidObjectKeyError extends Error {
  constructor(key: string, why: string) {
    super(`invalid object key "${key}": ${why}`);
    this.name = 'InvalidObjectKeyError';
  }
}

function checkKey(key: string): void {
  if (key.length === 0 || key.length > 1024)
    throw new InvalidObjectKeyError(key, 'must be 1 to 1024 characters');
  if (key.startsWith('/') || key.includes('\\') || key.includes('\0')) {
    throw new InvalidObjectKeyError(key, 'must be a relative path with "/" separators');
  }
  for (const segment of key.split('/')) {
    if (segment === '' || segment === '.' || segment === '..' || segment.startsWith(TEMP_PREFIX)) {
      throw new InvalidObjectKeyError(key, `segment "${segment}" is not allowed`);
    }
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, fsConstants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export class FileObjectStore implements ObjectStore {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  #path(key: string): string {
    checkKey(key);
    return path.join(this.root, ...key.split('/'));
  }

  #info(key: string, stat: FileStat): ObjectInfo {
    return {
      key,
      size: stat.size,
      updated: stat.mtime,
      uri: path.join(this.root, ...key.split('/')),
      generation: stat.generation,
    };
  }

  /** Takes the per-key lock of conditional writes; resolves with its release. */
  async #lock(key: string, final: string): Promise<() => Promise<void>> {
    const dir = path.dirname(final);
    const lock = path.join(dir, `${TEMP_PREFIX}lock-${path.basename(final)}`);
    const mine = path.join(dir, `${TEMP_PREFIX}${randomUUID()}`);
    await fs.writeFile(mine, String(process.pid));
    try {
      const deadline = Date.now() + LOCK_WAIT_MS;
      for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
        try {
          await fs.link(mine, lock); // atomic create, with the owner's PID already in it
          return () => fs.rm(lock, { force: true });
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        }
        if (await this.#breakStaleLock(lock)) continue;
        if (Date.now() > deadline) throw new ObjectLockedError(key);
        await sleep(delay);
      }
    } finally {
      await fs.rm(mine, { force: true });
    }
  }

  /** Removes a lock whose owner died; true when the caller should try again at once. */
  async #breakStaleLock(lock: string): Promise<boolean> {
    let pid: number;
    try {
      pid = Number(await fs.readFile(lock, 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
      throw err;
    }
    if (!Number.isInteger(pid) || pid <= 0 || !processGone(pid)) return false;
    // Move it aside first (only one breaker wins the rename), then make sure it
    // was the dead owner's lock and not a fresh one taken in between.
    const aside = `${lock}-${randomUUID()}`;
    try {
      await fs.rename(lock, aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
      throw err;
    }
    const moved = Number(await fs.readFile(aside, 'utf8').catch(() => '0'));
    if (moved !== pid) await fs.link(aside, lock).catch(() => undefined);
    await fs.rm(aside, { force: true });
    return true;
  }

  async put(key: string, data: Uint8Array, options: PutOptions = {}): Promise<ObjectInfo> {
    const final = this.#path(key);
    const dir = path.dirname(final);
    await fs.mkdir(dir, { recursive: true });
    const temp = path.join(dir, `${TEMP_PREFIX}${randomUUID()}`);
    const handle = await fs.open(temp, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    // The stat is taken while the new file is surely the one in place (under the
    // lock, or of the temporary's own inode), never of a later writer's file.
    let written: FileStat | undefined;
    try {
      if (options.ifGenerationMatch !== undefined) {
        const expected = options.ifGenerationMatch;
        const unlock = await this.#lock(key, final);
        try {
          if ((await fileStat(final))?.generation !== expected)
            throw new PreconditionFailedError(key, expected);
          await fs.rename(temp, final);
          written = await fileStat(final);
        } finally {
          await unlock();
        }
      } else if (options.ifNotExists) {
        // link() fails with EEXIST atomically: the create-only precondition.
        await fs.link(temp, final).catch((err: NodeJS.ErrnoException) => {
          throw err.code === 'EEXIST' ? new ObjectExistsError(key) : err;
        });
        written = await fileStat(temp); // the same inode as the new object
        await fs.unlink(temp);
      } else {
        await fs.rename(temp, final);
        written = await fileStat(final);
      }
    } catch (err) {
      await fs.rm(temp, { force: true });
      throw err;
    }
    await fsyncDir(dir);
    if (!written) throw new ObjectNotFoundError(key); // removed again by another writer already
    return this.#info(key, written);
  }

  async get(key: string): Promise<Buffer> {
    try {
      return await fs.readFile(this.#path(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ObjectNotFoundError(key);
      throw err;
    }
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    const s = await fileStat(this.#path(key));
    return s && this.#info(key, s);
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListPage> {
    const pageSize = options.pageSize ?? 1000;
    const after = options.pageToken
      ? Buffer.from(options.pageToken, 'base64url').toString()
      : options.startAfter;
    // Walk only the deepest directory the prefix names, not the whole tree.
    const dirPart = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    const base = dirPart ? path.join(this.root, ...dirPart.split('/')) : this.root;
    let entries: { parentPath: string; name: string; isFile(): boolean }[];
    try {
      entries = await fs.readdir(base, { recursive: true, withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { objects: [] };
      throw err;
    }
    const keys = entries
      .filter((e) => e.isFile() && !e.name.startsWith(TEMP_PREFIX))
      .map((e) => path.relative(this.root, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
      .filter((k) => k.startsWith(prefix) && (after === undefined || k > after))
      .sort();
    const page = keys.slice(0, pageSize);
    const objects: ObjectInfo[] = [];
    for (const key of page) {
      const info = await this.stat(key);
      if (info) objects.push(info);
    }
    const last = page.at(-1);
    return keys.length > pageSize && last
      ? { objects, nextPageToken: Buffer.from(last).toString('base64url') }
      : { objects };
  }

  async delete(key: string, options: DeleteOptions = {}): Promise<void> {
    const file = this.#path(key);
    if (options.ifGenerationMatch === undefined) {
      await fs.rm(file, { force: true });
      return;
    }
    const unlock = await this.#lock(key, file).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined; // no folder: no object
      throw err;
    });
    if (!unlock) return;
    try {
      const current = await fileStat(file);
      if (!current) return;
      if (current.generation !== options.ifGenerationMatch) {
        throw new PreconditionFailedError(key, options.ifGenerationMatch);
      }
      await fs.rm(file, { force: true });
    } finally {
      await unlock();
    }
    await fsyncDir(path.dirname(file));
  }
}
