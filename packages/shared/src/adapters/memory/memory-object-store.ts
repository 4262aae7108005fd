import {
  type ListOptions,
  type ListPage,
  ObjectExistsError,
  type ObjectInfo,
  ObjectNotFoundError,
  type ObjectStore,
  type PutOptions,
} from '../../ports/object-store.ts';
import { FaultSwitch } from './memory-sinks.ts';

/** An in-memory bucket with GCS semantics (create-only puts, ordered paged listing). */
export class MemoryObjectStore implements ObjectStore {
  readonly faults = new FaultSwitch();
  readonly #objects = new Map<string, { data: Buffer; updated: Date }>();
  readonly #bucket: string;

  constructor(bucket = 'memory') {
    this.#bucket = bucket;
  }

  #info(key: string, o: { data: Buffer; updated: Date }): ObjectInfo {
    return { key, size: o.data.length, updated: o.updated, uri: `memory://${this.#bucket}/${key}` };
  }

  async put(key: string, data: Uint8Array, options: PutOptions = {}): Promise<ObjectInfo> {
    this.faults.trip();
    if (options.ifNotExists && this.#objects.has(key)) throw new ObjectExistsError(key);
    const o = { data: Buffer.from(data), updated: new Date() };
    this.#objects.set(key, o);
    return this.#info(key, o);
  }

  async get(key: string): Promise<Buffer> {
    const o = this.#objects.get(key);
    if (!o) throw new ObjectNotFoundError(key);
    return Buffer.from(o.data);
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    const o = this.#objects.get(key);
    return o && this.#info(key, o);
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListPage> {
    const pageSize = options.pageSize ?? 1000;
    const after = options.pageToken
      ? Buffer.from(options.pageToken, 'base64url').toString()
      : options.startAfter;
    const keys = [...this.#objects.keys()]
      .filter((k) => k.startsWith(prefix) && (after === undefined || k > after))
      .sort();
    const page = keys.slice(0, pageSize);
    const objects = page.map((k) => this.#info(k, this.#objects.get(k)!));
    const last = page.at(-1);
    return keys.length > pageSize && last
      ? { objects, nextPageToken: Buffer.from(last).toString('base64url') }
      : { objects };
  }

  async delete(key: string): Promise<void> {
    this.#objects.delete(key);
  }
}
