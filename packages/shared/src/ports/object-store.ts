// A bucket of objects: GCS in production, a directory on the local disk in the
// local mode, with the same keys (`events/stream=…/date=…/hour=…/…`).

export interface ObjectInfo {
  key: string;
  size: number;
  /** When the object was created (GCS timeCreated, file mtime). */
  updated: Date;
  /** A URI the warehouse can read: gs://bucket/key or an absolute file path. */
  uri: string;
  /**
   * Which version of the object this is: changes on every write of the key
   * (GCS: the object generation). Opaque; compare for equality only, and pass
   * it back as `ifGenerationMatch` to write or delete only that version.
   */
  generation: string;
}

/**
 * One page of a listing. A page may hold fewer objects than `pageSize`, even
 * none at all, and still carry a `nextPageToken` (GCS documents that a page can
 * be short; a page of only keys filtered out by `startAfter` comes back empty).
 * Only a page without a token ends the listing: every caller follows tokens,
 * never stops at an empty page (`listAll` does this).
 */
export interface ListPage {
  objects: ObjectInfo[];
  /** Present when there may be more objects; pass it back, with the same query, for the next page. */
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
  /**
   * Compare-and-swap: write only when the live object is exactly this version
   * (an `ObjectInfo.generation`), else fail with PreconditionFailedError, also
   * when the object is absent. GCS ifGenerationMatch=<generation>.
   */
  ifGenerationMatch?: string;
  contentType?: string;
}

export interface DeleteOptions {
  /** Delete only this version (an `ObjectInfo.generation`), else PreconditionFailedError; absent objects are still no error. */
  ifGenerationMatch?: string;
}

export class ObjectExistsError extends Error {
  readonly key: string;
  constructor(key: string) {
    super(`object "${key}" already exists`);
    this.name = 'ObjectExistsError';
    this.key = key;
  }
}

/** A conditional write or delete found another version of the object than the one it named (GCS 412). */
export class PreconditionFailedError extends Error {
  readonly key: string;
  constructor(key: string, expected: string) {
    super(`object "${key}" is not at generation ${expected} any more (another writer changed or removed it)`);
    this.name = 'PreconditionFailedError';
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
  /**
   * Durably stores the object (resolves after it would survive a crash).
   * Conditional puts (`ifNotExists`, `ifGenerationMatch`) and conditional
   * deletes are atomic with respect to each other, across processes: of two
   * writers that name the same version, exactly one succeeds.
   */
  put(key: string, data: Uint8Array, options?: PutOptions): Promise<ObjectInfo>;
  /** The object's bytes; ObjectNotFoundError when absent. */
  get(key: string): Promise<Buffer>;
  stat(key: string): Promise<ObjectInfo | undefined>;
  /**
   * Objects whose key starts with `prefix`, in lexicographic key order, one
   * page at a time. Pages can be short or empty while a token remains: see ListPage.
   */
  list(prefix: string, options?: ListOptions): Promise<ListPage>;
  /** Removes the object; absent objects are not an error. */
  delete(key: string, options?: DeleteOptions): Promise<void>;
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
