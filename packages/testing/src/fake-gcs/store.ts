// In-memory buckets and objects with GCS semantics: generations, metagenerations,
// preconditions, and object listing (prefix, delimiter, offsets, pages).
import { HttpError } from '../http/server-kit.ts';
import { crc32cBase64, md5Base64 } from './checksums.ts';

export interface StoredObject {
  bucket: string;
  name: string;
  data: Buffer;
  generation: string;
  metageneration: number;
  contentType: string;
  contentEncoding?: string;
  cacheControl?: string;
  /** Custom metadata (`metadata` in the JSON API). */
  metadata?: Record<string, string>;
  md5Hash: string;
  crc32c: string;
  timeCreated: Date;
  updated: Date;
}

export interface StoredBucket {
  name: string;
  location: string;
  storageClass: string;
  timeCreated: Date;
  objects: Map<string, StoredObject>;
}

export interface NewObject {
  contentType?: string;
  contentEncoding?: string;
  cacheControl?: string;
  metadata?: Record<string, string>;
}

/** The precondition query parameters of the JSON API. */
export interface Preconditions {
  ifGenerationMatch?: string;
  ifGenerationNotMatch?: string;
  ifMetagenerationMatch?: string;
  ifMetagenerationNotMatch?: string;
}

export interface ListQuery {
  prefix?: string;
  delimiter?: string;
  startOffset?: string;
  endOffset?: string;
  maxResults?: number;
  pageToken?: string;
  /**
   * Answer this page empty, with a token that resumes at the same position:
   * GCS may return fewer results than maxResults ("fewer total results may be
   * returned than requested", objects.list), so callers must follow tokens.
   */
  emptyPage?: boolean;
}

export interface ListResult {
  items: StoredObject[];
  prefixes: string[];
  nextPageToken?: string;
  /** The page was answered empty on purpose (ListQuery.emptyPage). */
  emptied?: boolean;
}

const MAX_PAGE = 1000;

export class GcsStore {
  readonly buckets = new Map<string, StoredBucket>();
  #lastGeneration = 0;

  createBucket(name: string, init: { location?: string; storageClass?: string } = {}): StoredBucket {
    if (this.buckets.has(name)) {
      throw new HttpError(
        409,
        'conflict',
        'Your previous request to create the named bucket succeeded and you already own it.',
      );
    }
    const bucket: StoredBucket = {
      name,
      location: init.location?.toUpperCase() ?? 'US',
      storageClass: init.storageClass ?? 'STANDARD',
      timeCreated: new Date(),
      objects: new Map(),
    };
    this.buckets.set(name, bucket);
    return bucket;
  }

  bucket(name: string): StoredBucket {
    const bucket = this.buckets.get(name);
    if (!bucket) throw new HttpError(404, 'notFound', 'The specified bucket does not exist.');
    return bucket;
  }

  deleteBucket(name: string): void {
    const bucket = this.bucket(name);
    if (bucket.objects.size > 0)
      throw new HttpError(409, 'conflict', 'The bucket you tried to delete is not empty.');
    this.buckets.delete(name);
  }

  /** The live object, or a 404 (also when `generation` names another generation). */
  get(bucketName: string, name: string, generation?: string): StoredObject {
    const object = this.bucket(bucketName).objects.get(name);
    if (!object || (generation !== undefined && generation !== object.generation)) {
      throw new HttpError(404, 'notFound', `No such object: ${bucketName}/${name}`);
    }
    return object;
  }

  /** Creates a new generation of the object, honouring the preconditions (412 when they do not hold). */
  put(
    bucketName: string,
    name: string,
    data: Buffer,
    init: NewObject,
    pre: Preconditions = {},
  ): StoredObject {
    if (!name) throw new HttpError(400, 'required', 'Required parameter: name');
    const bucket = this.bucket(bucketName);
    checkPreconditions(bucket.objects.get(name), pre);
    const now = new Date();
    const object: StoredObject = {
      bucket: bucketName,
      name,
      data,
      generation: this.#nextGeneration(),
      metageneration: 1,
      contentType: init.contentType || 'application/octet-stream',
      md5Hash: md5Base64(data),
      crc32c: crc32cBase64(data),
      timeCreated: now,
      updated: now,
      ...(init.contentEncoding ? { contentEncoding: init.contentEncoding } : {}),
      ...(init.cacheControl ? { cacheControl: init.cacheControl } : {}),
      ...(init.metadata && Object.keys(init.metadata).length > 0 ? { metadata: { ...init.metadata } } : {}),
    };
    bucket.objects.set(name, object);
    return object;
  }

  delete(bucketName: string, name: string, pre: Preconditions = {}, generation?: string): void {
    const object = this.get(bucketName, name, generation);
    checkPreconditions(object, pre);
    this.bucket(bucketName).objects.delete(name);
  }

  /** Metadata update (PATCH): merges custom metadata (null removes a key) and bumps the metageneration. */
  patch(
    bucketName: string,
    name: string,
    patch: Record<string, unknown>,
    pre: Preconditions = {},
  ): StoredObject {
    const object = this.get(bucketName, name);
    checkPreconditions(object, pre);
    if (typeof patch.contentType === 'string') object.contentType = patch.contentType;
    if (typeof patch.cacheControl === 'string') object.cacheControl = patch.cacheControl;
    if (patch.metadata === null) delete object.metadata;
    else if (patch.metadata && typeof patch.metadata === 'object') {
      const merged: Record<string, string> = { ...object.metadata };
      for (const [k, v] of Object.entries(patch.metadata as Record<string, unknown>)) {
        if (v === null) delete merged[k];
        else merged[k] = String(v);
      }
      object.metadata = merged;
    }
    object.metageneration += 1;
    object.updated = new Date();
    return object;
  }

  list(bucketName: string, q: ListQuery): ListResult {
    const bucket = this.bucket(bucketName);
    const prefix = q.prefix ?? '';
    const pageSize = Math.min(Math.max(q.maxResults ?? MAX_PAGE, 1), MAX_PAGE);
    const after = q.pageToken ? decodePageToken(q.pageToken) : undefined;
    // Items and rolled-up prefixes share one ordered key space, as in GCS.
    const entries = new Map<string, StoredObject | undefined>();
    for (const object of bucket.objects.values()) {
      const { name } = object;
      if (!name.startsWith(prefix)) continue;
      if (q.startOffset !== undefined && compareKeys(name, q.startOffset) < 0) continue;
      if (q.endOffset !== undefined && compareKeys(name, q.endOffset) >= 0) continue;
      const cut = q.delimiter ? name.indexOf(q.delimiter, prefix.length) : -1;
      if (cut === -1) entries.set(name, object);
      else entries.set(name.slice(0, cut + (q.delimiter?.length ?? 0)), undefined);
    }
    const keys = [...entries.keys()]
      .sort(compareKeys)
      .filter((k) => after === undefined || compareKeys(k, after) > 0);
    if (q.emptyPage && keys.length > 0) {
      return { items: [], prefixes: [], nextPageToken: encodePageToken(after), emptied: true };
    }
    const page = keys.slice(0, pageSize);
    const result: ListResult = { items: [], prefixes: [] };
    for (const key of page) {
      const object = entries.get(key);
      if (object) result.items.push(object);
      else result.prefixes.push(key);
    }
    const last = page.at(-1);
    if (keys.length > page.length && last !== undefined) result.nextPageToken = encodePageToken(last);
    return result;
  }

  #nextGeneration(): string {
    // Real generations are microsecond timestamps; keep them increasing and unique.
    this.#lastGeneration = Math.max(this.#lastGeneration + 1, Date.now() * 1000);
    return String(this.#lastGeneration);
  }
}

/**
 * The JSON API's precondition rules ("Request preconditions",
 * https://cloud.google.com/storage/docs/request-preconditions): a Match
 * parameter that does not hold fails with 412 Precondition Failed; a NotMatch
 * parameter that names the live (meta)generation fails with 304 Not Modified.
 * A NotMatch against no live object fails too ("If no live object exists, the
 * precondition fails"), here with 412.
 */
export function checkPreconditions(existing: StoredObject | undefined, pre: Preconditions): void {
  const notModified = (): never => {
    throw new HttpError(304, 'notModified', 'Not Modified');
  };
  const fail = (): never => {
    throw new HttpError(
      412,
      'conditionNotMet',
      'At least one of the pre-conditions you specified did not hold.',
      {
        locationType: 'header',
        location: 'If-Match',
      },
    );
  };
  if (pre.ifGenerationMatch !== undefined) {
    if (
      pre.ifGenerationMatch === '0' ? existing !== undefined : existing?.generation !== pre.ifGenerationMatch
    ) {
      fail();
    }
  }
  if (pre.ifGenerationNotMatch !== undefined) {
    if (existing === undefined) fail();
    else if (existing.generation === pre.ifGenerationNotMatch) notModified();
  }
  if (
    pre.ifMetagenerationMatch !== undefined &&
    String(existing?.metageneration) !== pre.ifMetagenerationMatch
  ) {
    fail();
  }
  if (pre.ifMetagenerationNotMatch !== undefined) {
    if (existing === undefined) fail();
    else if (String(existing.metageneration) === pre.ifMetagenerationNotMatch) notModified();
  }
}

/** GCS orders names by their UTF-8 bytes. */
function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** A token names the last key seen (none: resume from the start of the query). */
function encodePageToken(lastKey: string | undefined): string {
  return Buffer.from(JSON.stringify({ after: lastKey ?? null }), 'utf8').toString('base64url');
}

function decodePageToken(token: string): string | undefined {
  try {
    const { after } = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after: unknown };
    if (after === null) return undefined;
    if (typeof after === 'string') return after;
  } catch {}
  throw new HttpError(400, 'invalid', 'Invalid Value: pageToken');
}
