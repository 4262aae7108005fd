// A bucket of objects: GCS in production, a directory on the local disk in the
// local mode, with the same keys (`events/stream=…/date=…/hour=…/…`).

export interface ObjectInfo {
  key: string;
  size: number;
  /** When the object was created (GCS timeCreated, file mtime). */
  updated: Date;
  /** A URI the warehouse can read: gs://bucket/key or an absolute file path. */
  uri: string;
}

export interface ListPage {
  objects: ObjectInfo[];
  /** Present when there are more objects; pass it back to get the next page. */
  nextPageToken?: string;
}

export interface ListOptions {
  pageSize?: number;
  pageToken?: string;
  /** Only keys strictly greater than this (lexicographic): resumes from a watermark. */
  startAfter?: string;
}

export interface PutOptions {
  /**
   * Create-only: fail with ObjectExistsError when the key exists, so a retried
   * upload can never overwrite or duplicate a file (GCS ifGenerationMatch=0).
   */
  ifNotExists?: boolean;
  contentType?: string;
}

export class ObjectExistsError extends Error {
  readonly key: string;
  constructor(key: string) {
    super(`object "${key}" already exists`);
    this.name = 'ObjectExistsError';
    this.key = key;
  }
}

export class ObjectNotFoundError extends Error {
  readonly key: string;
  constructor(key: string) {
    super(`object "${key}" does not exist`);
    this.name = 'ObjectNotFoundError';
    this.key = key;
  }
}

export interface ObjectStore {
  /** Durably stores the object (resolves after it would survive a crash). */
  put(key: string, data: Uint8Array, options?: PutOptions): Promise<ObjectInfo>;
  /** The object's bytes; ObjectNotFoundError when absent. */
  get(key: string): Promise<Buffer>;
  stat(key: string): Promise<ObjectInfo | undefined>;
  /** Objects whose key starts with `prefix`, in lexicographic key order, one page at a time. */
  list(prefix: string, options?: ListOptions): Promise<ListPage>;
  /** Removes the object; absent objects are not an error. */
  delete(key: string): Promise<void>;
}

/** Every object under `prefix`, following page tokens. */
export async function* listAll(
  store: ObjectStore,
  prefix: string,
  options: Omit<ListOptions, 'pageToken'> = {},
): AsyncGenerator<ObjectInfo> {
  let pageToken: string | undefined;
  do {
    const page = await store.list(prefix, { ...options, ...(pageToken ? { pageToken } : {}) });
    yield* page.objects;
    pageToken = page.nextPageToken;
  } while (pageToken);
}

/**
 * The key prefix for EVENTKIT_STORAGE_PREFIX, the same for every writer and
 * reader of the bucket: no leading slash (object keys have none), one trailing
 * slash, or nothing at all. `/tenant/` and `tenant` both give `tenant/`.
 */
export function storageKeyPrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? '' : `${trimmed}/`;
}
