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
import { FaultSwitch } from './memory-sinks.ts';

interface MemoryObject {
  data: Buffer;
  updated: Date;
  generation: string;
}

/** An in-memory bucket with GCS semantics (create-only and conditional writes, generations, ordered paged listing). */
export class MemoryObjectStore implements ObjectStore {
  readonly faults = new FaultSwitch();
  readonly #objects = new Map<string, MemoryObject>();
  readonly #bucket: string;
  #lastGeneration = 0;

  constructor(bucket = 'memory') {
    this.#bucket = bucket;
  }

  #info(key: string, o: MemoryObject): ObjectInfo {
    return {
      key,
      size: o.data.length,
      updated: o.updated,
      uri: `memory://${this.#bucket}/${key}`,
      generation: o.generation,
    };
  }

  async put(key: string, data: Uint8Array, options: PutOptions = {}): Promise<ObjectInfo> {
    this.faults.trip();
    const existing = this.#objects.get(key);
    if (options.ifNotExists && existing) throw new ObjectExistsError(key);
    if (options.ifGenerationMatch !== undefined && existing?.generation !== options.ifGenerationMatch) {
      throw new PreconditionFailedError(key, options.ifGenerationMatch);
    }
    this.#lastGeneration += 1;
    const o = { data: Buffer.from(data), updated: new Date(), generation: String(this.#lastGeneration) };
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

  async delete(key: string, options: DeleteOptions = {}): Promise<void> {
    const existing = this.#objects.get(key);
    if (!existing) return;
    if (options.ifGenerationMatch !== undefined && existing.generation !== options.ifGenerationMatch) {
      throw new PreconditionFailedError(key, options.ifGenerationMatch);
    }
    this.#objects.delete(key);
  }
}
