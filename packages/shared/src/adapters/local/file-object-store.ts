// A directory on the local disk behaving like a GCS bucket: same keys, same
// create-only semantics, same ordered listing. The local mode's `file` sink and
// the local loader both use it, so the layout under EVENTKIT_DATA_DIR is the
// layout of the bucket.
//
// Durability: an object is written to a hidden temporary file, fsync'd, then
// linked (create-only) or renamed (overwrite) into place, and the directory is
// fsync'd. A crash leaves either no object or the complete object — never a
// half file that looks complete; stray temporaries are hidden from listings.
import { randomUUID } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import {
  type ListOptions,
  type ListPage,
  ObjectExistsError,
  type ObjectInfo,
  ObjectNotFoundError,
  type ObjectStore,
  type PutOptions,
} from '../../ports/object-store.ts';

const TEMP_PREFIX = '.tmp-';

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

  #info(key: string, stat: { size: number; mtime: Date }): ObjectInfo {
    return { key, size: stat.size, updated: stat.mtime, uri: path.join(this.root, ...key.split('/')) };
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
    try {
      if (options.ifNotExists) {
        // link() fails with EEXIST atomically: the create-only precondition.
        await fs.link(temp, final).catch((err: NodeJS.ErrnoException) => {
          throw err.code === 'EEXIST' ? new ObjectExistsError(key) : err;
        });
        await fs.unlink(temp);
      } else {
        await fs.rename(temp, final);
      }
    } catch (err) {
      await fs.rm(temp, { force: true });
      throw err;
    }
    await fsyncDir(dir);
    return this.#info(key, await fs.stat(final));
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
    try {
      const s = await fs.stat(this.#path(key));
      return s.isFile() ? this.#info(key, s) : undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
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

  async delete(key: string): Promise<void> {
    await fs.rm(this.#path(key), { force: true });
  }
}
