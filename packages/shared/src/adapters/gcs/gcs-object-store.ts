// The ObjectStore port on Google Cloud Storage, with the real client
// (@google-cloud/storage 8.x). Tests point it at the fake GCS server of
// @eventkit/testing through the client's apiEndpoint.
//
// - Create-only puts send `ifGenerationMatch=0`; GCS answers 412 when the name
//   exists, which becomes ObjectExistsError. Because the precondition makes
//   the upload idempotent, the client retries it on transient errors. One
//   consequence callers must know: when a first attempt succeeded but its
//   answer was lost, the client's retry gets 412, so ObjectExistsError can mean
//   "your own upload is already there" (the worker names files uniquely and
//   compares sizes; see packages/worker).
// - Every write and delete carries a generation precondition, also the plain
//   (overwriting) ones: the client disables retries for the whole Storage
//   instance, for good, the first time it sends a write or delete without one.
// - Small objects go in one request (`resumable: false`); only objects over
//   `resumableThreshold` (default 8 MiB) use a resumable session.
// - Conditional writes and deletes (`ifGenerationMatch`) send the generation
//   as GCS ifGenerationMatch; 412 becomes PreconditionFailedError. The client
//   retries them on transient errors (they carry a precondition), so a 412 can
//   also follow a first attempt whose answer was lost; the caller then reads
//   the object to learn which version is live (see the loader's lease).
// - listing maps startAfter (strictly greater) onto GCS startOffset (greater
//   or equal) by dropping the watermark key itself. So a page can come back
//   empty with a nextPageToken (with pageSize 1 and startAfter an existing
//   key, always): callers follow tokens (ports/object-store.ts, ListPage).
import type { Bucket, File, Storage } from '@google-cloud/storage';
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

export interface GcsObjectStoreOptions {
  storage: Storage;
  bucket: string;
  /** Objects larger than this are uploaded in a resumable session (default 8 MiB). */
  resumableThreshold?: number;
}

/** How often a read-then-conditional-write is retried when another writer got in between. */
const RACE_RETRIES = 5;

function status(err: unknown): number | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

interface GcsMetadata {
  size?: string | number;
  timeCreated?: string;
  updated?: string;
  generation?: string | number;
}

export class GcsObjectStore implements ObjectStore {
  readonly bucketName: string;
  readonly #bucket: Bucket;
  readonly #resumableThreshold: number;

  constructor(options: GcsObjectStoreOptions) {
    this.bucketName = options.bucket;
    this.#bucket = options.storage.bucket(options.bucket);
    this.#resumableThreshold = options.resumableThreshold ?? 8 * 1024 * 1024;
  }

  #info(key: string, metadata: GcsMetadata): ObjectInfo {
    const created = metadata.timeCreated ?? metadata.updated;
    return {
      key,
      size: Number(metadata.size ?? 0),
      updated: created ? new Date(created) : new Date(0),
      uri: `gs://${this.bucketName}/${key}`,
      generation: String(metadata.generation ?? ''),
    };
  }

  async #save(file: File, data: Uint8Array, generation: number, contentType?: string): Promise<void> {
    await file.save(Buffer.from(data.buffer, data.byteOffset, data.byteLength), {
      resumable: data.byteLength > this.#resumableThreshold,
      preconditionOpts: { ifGenerationMatch: generation },
      validation: 'crc32c',
      ...(contentType ? { contentType } : {}),
    });
  }

  async put(key: string, data: Uint8Array, options: PutOptions = {}): Promise<ObjectInfo> {
    const file = this.#bucket.file(key);
    if (options.ifGenerationMatch !== undefined) {
      const generation = Number(options.ifGenerationMatch);
      // 0 would mean "absent" to GCS; a generation from ObjectInfo is never 0.
      if (!Number.isSafeInteger(generation) || generation <= 0) {
        throw new PreconditionFailedError(key, options.ifGenerationMatch);
      }
      try {
        await this.#save(file, data, generation, options.contentType);
      } catch (err) {
        if (status(err) === 412) throw new PreconditionFailedError(key, options.ifGenerationMatch);
        throw err;
      }
      return this.#info(key, file.metadata as GcsMetadata);
    }
    if (options.ifNotExists) {
      try {
        await this.#save(file, data, 0, options.contentType);
      } catch (err) {
        if (status(err) === 412) throw new ObjectExistsError(key);
        throw err;
      }
      return this.#info(key, file.metadata as GcsMetadata);
    }
    // Overwrite: condition on the generation we saw, so the write stays retryable.
    for (let attempt = 1; ; attempt++) {
      const generation = Number((await this.#metadata(file))?.generation ?? 0);
      try {
        await this.#save(file, data, generation, options.contentType);
        return this.#info(key, file.metadata as GcsMetadata);
      } catch (err) {
        if (status(err) !== 412 || attempt >= RACE_RETRIES) throw err;
      }
    }
  }

  async #metadata(file: File): Promise<GcsMetadata | undefined> {
    try {
      const [metadata] = await file.getMetadata();
      return metadata as GcsMetadata;
    } catch (err) {
      if (status(err) === 404) return undefined;
      throw err;
    }
  }

  async get(key: string): Promise<Buffer> {
    try {
      const [data] = await this.#bucket.file(key).download();
      return data;
    } catch (err) {
      if (status(err) === 404) throw new ObjectNotFoundError(key);
      throw err;
    }
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    const metadata = await this.#metadata(this.#bucket.file(key));
    return metadata && this.#info(key, metadata);
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListPage> {
    const [files, nextQuery] = await this.#bucket.getFiles({
      prefix,
      autoPaginate: false,
      maxResults: options.pageSize ?? 1000,
      ...(options.pageToken ? { pageToken: options.pageToken } : {}),
      ...(options.startAfter !== undefined ? { startOffset: options.startAfter } : {}),
    });
    const objects = files
      .filter((f) => options.startAfter === undefined || f.name > options.startAfter)
      .map((f) => this.#info(f.name, f.metadata as GcsMetadata));
    const nextPageToken = (nextQuery as { pageToken?: string } | null | undefined)?.pageToken;
    return nextPageToken ? { objects, nextPageToken } : { objects };
  }

  async delete(key: string, options: DeleteOptions = {}): Promise<void> {
    const file = this.#bucket.file(key);
    if (options.ifGenerationMatch !== undefined) {
      try {
        await file.delete({ ifGenerationMatch: Number(options.ifGenerationMatch) });
      } catch (err) {
        if (status(err) === 404) return;
        if (status(err) === 412) throw new PreconditionFailedError(key, options.ifGenerationMatch);
        throw err;
      }
      return;
    }
    for (let attempt = 1; ; attempt++) {
      const metadata = await this.#metadata(file);
      if (!metadata) return;
      try {
        await file.delete({ ifGenerationMatch: Number(metadata.generation) });
        return;
      } catch (err) {
        if (status(err) === 404) return;
        if (status(err) !== 412 || attempt >= RACE_RETRIES) throw err;
      }
    }
  }

  /** Resolves when the bucket answers (readiness); rejects with the client's error otherwise. */
  async check(): Promise<void> {
    await this.#bucket.getFiles({ autoPaginate: false, maxResults: 1 });
  }
}
