// A fake Google Cloud Storage JSON API server for tests. It speaks the subset of
// the API eventkit uses, well enough that the real @google-cloud/storage client
// works against it end to end: buckets, simple/multipart/resumable uploads with
// generation preconditions, downloads (checksummed, with ranges), metadata,
// delete, and listing with prefix/delimiter/offsets/pages (and, on demand, the
// empty pages with a token that GCS may answer). State is in memory. The rules
// it models are tested in fake-gcs.int.test.ts beside their documentation pages.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Faults, type RequestInfo } from '../http/faults.ts';
import {
  filterRequests,
  HttpError,
  type ListeningServer,
  listenLoopback,
  parseJson,
  parseMultipart,
  queryRecord,
  type RecordedRequest,
  readBody,
  sendError,
  sendJson,
} from '../http/server-kit.ts';
import {
  checkPreconditions,
  GcsStore,
  type ListQuery,
  type NewObject,
  type Preconditions,
  type StoredBucket,
  type StoredObject,
} from './store.ts';

/** An object as tests see it through `server.objects()` / `server.object()`. */
export interface FakeGcsObject {
  name: string;
  data: Buffer;
  size: number;
  generation: string;
  metageneration: number;
  contentType: string;
  metadata: Record<string, string>;
  timeCreated: Date;
}

/** Options to pass to `new Storage(...)` so the real client talks to the fake. */
export interface FakeGcsClientOptions {
  apiEndpoint: string;
  projectId: string;
  retryOptions?: {
    maxRetries?: number;
    maxRetryDelay?: number;
    retryDelayMultiplier?: number;
    totalTimeout?: number;
  };
}

export interface FakeGcsServer {
  /** `http://127.0.0.1:PORT`; pass as `apiEndpoint`. */
  readonly url: string;
  readonly port: number;
  readonly faults: Faults;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  /** Recorded requests whose method matches and whose path contains `pathPart` (or matches the RegExp). */
  requestsTo(method: string, pathPart: string | RegExp): RecordedRequest[];
  /** Options for `new Storage()`; `fastRetries` bounds the client's retry delay to 50 ms. */
  clientOptions(options?: { projectId?: string; fastRetries?: boolean }): FakeGcsClientOptions;
  /** Creates a bucket directly (no request). Idempotent. */
  createBucket(name: string): void;
  /** Stores an object directly (no request), as a new generation. */
  putObject(bucket: string, name: string, data: string | Uint8Array, init?: NewObject): FakeGcsObject;
  /** The live objects of a bucket in name order (empty when the bucket does not exist). */
  objects(bucket: string): FakeGcsObject[];
  object(bucket: string, name: string): FakeGcsObject | undefined;
  /**
   * The next `n` listings that have results answer an empty page with a
   * nextPageToken instead (resuming where they stood): GCS may return fewer
   * results than maxResults, even none, so clients must follow tokens.
   */
  emptyPagesNext(n: number): void;
  /** Forgets all buckets, objects, upload sessions, requests, faults and empty pages. */
  reset(): void;
  close(): Promise<void>;
}

interface UploadSession {
  bucket: string;
  name: string;
  init: NewObject;
  pre: Preconditions;
  chunks: Buffer[];
  received: number;
  done?: StoredObject;
}

const PRECONDITION_KEYS = [
  'ifGenerationMatch',
  'ifGenerationNotMatch',
  'ifMetagenerationMatch',
  'ifMetagenerationNotMatch',
] as const;

export async function startFakeGcs(options: { projectId?: string } = {}): Promise<FakeGcsServer> {
  const defaultProject = options.projectId ?? 'test-project';
  let store = new GcsStore();
  let sessions = new Map<string, UploadSession>();
  const faults = new Faults();
  const requests: RecordedRequest[] = [];
  let listening: ListeningServer | undefined;
  let emptyPages = 0;
  const baseUrl = () => listening?.url ?? '';

  const objectResource = (o: StoredObject) => {
    const encoded = encodeURIComponent(o.name);
    return {
      kind: 'storage#object',
      id: `${o.bucket}/${o.name}/${o.generation}`,
      selfLink: `${baseUrl()}/storage/v1/b/${o.bucket}/o/${encoded}`,
      mediaLink: `${baseUrl()}/download/storage/v1/b/${o.bucket}/o/${encoded}?generation=${o.generation}&alt=media`,
      name: o.name,
      bucket: o.bucket,
      generation: o.generation,
      metageneration: String(o.metageneration),
      contentType: o.contentType,
      storageClass: 'STANDARD',
      size: String(o.data.length),
      md5Hash: o.md5Hash,
      crc32c: o.crc32c,
      etag: etag(o),
      timeCreated: o.timeCreated.toISOString(),
      updated: o.updated.toISOString(),
      timeStorageClassUpdated: o.timeCreated.toISOString(),
      ...(o.contentEncoding ? { contentEncoding: o.contentEncoding } : {}),
      ...(o.cacheControl ? { cacheControl: o.cacheControl } : {}),
      ...(o.metadata ? { metadata: o.metadata } : {}),
    };
  };

  const bucketResource = (b: StoredBucket) => ({
    kind: 'storage#bucket',
    selfLink: `${baseUrl()}/storage/v1/b/${b.name}`,
    id: b.name,
    name: b.name,
    projectNumber: '0',
    metageneration: '1',
    location: b.location,
    locationType: 'multi-region',
    storageClass: b.storageClass,
    etag: 'CAE=',
    timeCreated: b.timeCreated.toISOString(),
    updated: b.timeCreated.toISOString(),
  });

  const view = (o: StoredObject): FakeGcsObject => ({
    name: o.name,
    data: o.data,
    size: o.data.length,
    generation: o.generation,
    metageneration: o.metageneration,
    contentType: o.contentType,
    metadata: { ...o.metadata },
    timeCreated: o.timeCreated,
  });

  // --- uploads -------------------------------------------------------------
  const finishUpload = (res: ServerResponse, object: StoredObject) =>
    sendJson(res, 200, objectResource(object));

  const handleUploadPost = (
    req: IncomingMessage,
    res: ServerResponse,
    bucket: string,
    query: Record<string, string>,
    raw: Buffer,
    record: { body: unknown },
  ) => {
    const pre = preconditions(query);
    const type = query.uploadType ?? 'media';
    if (type === 'media') {
      const name = query.name ?? '';
      const contentType = header(req, 'content-type');
      finishUpload(res, store.put(bucket, name, raw, contentType ? { contentType } : {}, pre));
      return;
    }
    if (type === 'multipart') {
      const [meta, media] = parseMultipart(header(req, 'content-type') ?? '', raw);
      if (!meta || !media)
        throw new HttpError(400, 'invalid', 'multipart upload needs a metadata and a media part');
      const metadata = (parseJson(meta.body) ?? {}) as Record<string, unknown>;
      record.body = metadata;
      const name = query.name ?? (typeof metadata.name === 'string' ? metadata.name : '');
      const init = newObject(metadata, media.headers['content-type']);
      finishUpload(res, store.put(bucket, name, media.body, init, pre));
      return;
    }
    if (type === 'resumable') {
      const metadata = (parseJson(raw) ?? {}) as Record<string, unknown>;
      record.body = metadata;
      const name = query.name ?? (typeof metadata.name === 'string' ? metadata.name : '');
      if (!name) throw new HttpError(400, 'required', 'Required parameter: name');
      const existing = store.bucket(bucket).objects.get(name);
      checkPreconditions(existing, pre);
      const id = randomUUID();
      sessions.set(id, {
        bucket,
        name,
        init: newObject(metadata, header(req, 'x-upload-content-type')),
        pre,
        chunks: [],
        received: 0,
      });
      const location = `${baseUrl()}/upload/storage/v1/b/${encodeURIComponent(bucket)}/o?uploadType=resumable&name=${encodeURIComponent(name)}&upload_id=${id}`;
      res.writeHead(200, { location, 'content-length': '0' });
      res.end();
      return;
    }
    throw new HttpError(400, 'invalid', `Unsupported uploadType: ${type}`);
  };

  const handleUploadPut = (
    req: IncomingMessage,
    res: ServerResponse,
    query: Record<string, string>,
    raw: Buffer,
  ) => {
    const id = query.upload_id ?? '';
    const session = sessions.get(id);
    if (!session) throw new HttpError(404, 'notFound', `No such upload session: ${id}`);
    if (session.done) return finishUpload(res, session.done);
    const range = header(req, 'content-range') ?? `bytes 0-*/${raw.length}`;
    const m = /^bytes (?:\*|(\d+)-(\d+|\*))\/(\*|\d+)$/.exec(range.trim());
    if (!m) throw new HttpError(400, 'invalid', `Bad Content-Range: ${range}`);
    const [, start, end, total] = m;
    let final = false;
    if (start !== undefined) {
      const from = Number(start);
      if (from > session.received) {
        throw new HttpError(
          400,
          'invalid',
          `Chunk starts at ${from} but only ${session.received} bytes were received`,
        );
      }
      const fresh = raw.subarray(session.received - from);
      session.chunks.push(fresh);
      session.received += fresh.length;
      // `bytes N-*/…` is the client's single-request mode: the body is the rest of the object.
      final = end === '*' || (total !== '*' && session.received >= Number(total));
    } else {
      // `bytes */total` finalizes a zero-length tail; `bytes */*` only asks for the status.
      final = total !== '*' && session.received === Number(total);
    }
    if (!final) {
      const headers: Record<string, string> = { 'content-length': '0' };
      if (session.received > 0) headers.range = `bytes=0-${session.received - 1}`;
      res.writeHead(308, headers);
      res.end();
      return;
    }
    try {
      session.done = store.put(
        session.bucket,
        session.name,
        Buffer.concat(session.chunks),
        session.init,
        session.pre,
      );
    } catch (err) {
      sessions.delete(id);
      throw err;
    }
    finishUpload(res, session.done);
  };

  // --- reads ---------------------------------------------------------------
  const download = (req: IncomingMessage, res: ServerResponse, object: StoredObject) => {
    const headers: Record<string, string> = {
      'content-type': object.contentType,
      'x-goog-generation': object.generation,
      'x-goog-metageneration': String(object.metageneration),
      'x-goog-hash': `crc32c=${object.crc32c},md5=${object.md5Hash}`,
      'x-goog-stored-content-encoding': object.contentEncoding ?? 'identity',
      'x-goog-stored-content-length': String(object.data.length),
      etag: etag(object),
      'last-modified': object.updated.toUTCString(),
      'accept-ranges': 'bytes',
    };
    if (object.contentEncoding) headers['content-encoding'] = object.contentEncoding;
    const range = /^bytes=(\d*)-(\d*)$/.exec(header(req, 'range') ?? '');
    const size = object.data.length;
    if (range && (range[1] || range[2])) {
      const start = range[1] ? Number(range[1]) : Math.max(size - Number(range[2]), 0);
      const end = range[1] && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
      if (start >= size)
        throw new HttpError(416, 'requestedRangeNotSatisfiable', 'The requested range cannot be satisfied.');
      const body = object.data.subarray(start, end + 1);
      res.writeHead(206, {
        ...headers,
        'content-range': `bytes ${start}-${end}/${size}`,
        'content-length': String(body.length),
      });
      res.end(body);
      return;
    }
    res.writeHead(200, { ...headers, 'content-length': String(size) });
    res.end(object.data);
  };

  const list = (res: ServerResponse, bucket: string, query: Record<string, string>) => {
    const q: ListQuery = {
      ...(query.prefix !== undefined ? { prefix: query.prefix } : {}),
      ...(query.delimiter ? { delimiter: query.delimiter } : {}),
      ...(query.startOffset ? { startOffset: query.startOffset } : {}),
      ...(query.endOffset ? { endOffset: query.endOffset } : {}),
      ...(query.maxResults ? { maxResults: Number(query.maxResults) } : {}),
      ...(query.pageToken ? { pageToken: query.pageToken } : {}),
    };
    const result = store.list(bucket, { ...q, emptyPage: emptyPages > 0 });
    if (result.emptied) emptyPages -= 1;
    sendJson(res, 200, {
      kind: 'storage#objects',
      ...(result.items.length > 0 ? { items: result.items.map(objectResource) } : {}),
      ...(result.prefixes.length > 0 ? { prefixes: result.prefixes } : {}),
      ...(result.nextPageToken ? { nextPageToken: result.nextPageToken } : {}),
    });
  };

  // --- routing -------------------------------------------------------------
  const route = async (
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    raw: Buffer,
    record: { body: unknown },
  ) => {
    const method = req.method ?? 'GET';
    const query = queryRecord(url);
    const segs = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const [s0, s1, s2, s3, bucket, s5, ...rest] = segs;
    const objectName = rest.join('/');

    if (
      s0 === 'upload' &&
      s1 === 'storage' &&
      s2 === 'v1' &&
      s3 === 'b' &&
      bucket &&
      s5 === 'o' &&
      !objectName
    ) {
      if (method === 'POST') return handleUploadPost(req, res, bucket, query, raw, record);
      if (method === 'PUT') return handleUploadPut(req, res, query, raw);
    }
    if (
      s0 === 'download' &&
      s1 === 'storage' &&
      s2 === 'v1' &&
      s3 === 'b' &&
      bucket &&
      s5 === 'o' &&
      objectName
    ) {
      if (method === 'GET') return download(req, res, readable(bucket, objectName, query));
    }
    if (s0 === 'storage' && s1 === 'v1' && s2 === 'b') {
      const [, , , b, o, ...nameParts] = segs;
      const name = nameParts.join('/');
      if (b === undefined) {
        if (method === 'POST') {
          const body = (parseJson(raw) ?? {}) as Record<string, unknown>;
          record.body = body;
          if (typeof body.name !== 'string' || !body.name)
            throw new HttpError(400, 'required', 'Required: name');
          const created = store.createBucket(body.name, {
            ...(typeof body.location === 'string' ? { location: body.location } : {}),
            ...(typeof body.storageClass === 'string' ? { storageClass: body.storageClass } : {}),
          });
          return sendJson(res, 200, bucketResource(created));
        }
        if (method === 'GET') {
          return sendJson(res, 200, {
            kind: 'storage#buckets',
            items: [...store.buckets.values()].map(bucketResource),
          });
        }
      } else if (o === undefined) {
        if (method === 'GET') return sendJson(res, 200, bucketResource(store.bucket(b)));
        if (method === 'DELETE') {
          store.deleteBucket(b);
          res.writeHead(204).end();
          return;
        }
      } else if (o === 'o' && !name) {
        if (method === 'GET') return list(res, b, query);
      } else if (o === 'o') {
        if (method === 'GET') {
          const object = readable(b, name, query);
          if (query.alt === 'media') return download(req, res, object);
          return sendJson(res, 200, objectResource(object));
        }
        if (method === 'DELETE') {
          store.delete(b, name, preconditions(query), query.generation);
          res.writeHead(204).end();
          return;
        }
        if (method === 'PATCH' || method === 'PUT') {
          const body = (parseJson(raw) ?? {}) as Record<string, unknown>;
          record.body = body;
          return sendJson(res, 200, objectResource(store.patch(b, name, body, preconditions(query))));
        }
      }
    }
    throw new HttpError(404, 'notFound', `fake-gcs: no route for ${method} ${url.pathname}`);
  };

  const readable = (bucket: string, name: string, query: Record<string, string>) => {
    const object = store.get(bucket, name, query.generation);
    checkPreconditions(object, preconditions(query));
    return object;
  };

  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://fake-gcs');
    const info: RequestInfo = { method: req.method ?? 'GET', path: url.pathname, query: queryRecord(url) };
    const record: RecordedRequest = {
      ...info,
      headers: req.headers,
      body: undefined,
      bodyBytes: 0,
      status: 0,
      injected: false,
    };
    requests.push(record);
    try {
      const raw = await readBody(req);
      record.bodyBytes = raw.length;
      if (/json/i.test(header(req, 'content-type') ?? '') && raw.length > 0) {
        try {
          record.body = JSON.parse(raw.toString('utf8'));
        } catch {
          // recorded as undefined; the route answers 400 if it needs JSON
        }
      }
      const injected = await faults.apply(req, res, info);
      if (injected !== undefined) {
        record.status = injected;
        record.injected = true;
        return;
      }
      await route(req, res, url, raw, record);
    } catch (err) {
      if (err instanceof HttpError) sendError(res, err);
      else sendError(res, new HttpError(500, 'backendError', `fake-gcs: ${(err as Error).message}`));
    }
    record.status = res.statusCode;
  };

  listening = await listenLoopback((req, res) => void handler(req, res));
  const server = listening;

  return {
    url: server.url,
    port: server.port,
    faults,
    requests,
    clientOptions(opts = {}) {
      return {
        apiEndpoint: server.url,
        projectId: opts.projectId ?? defaultProject,
        ...(opts.fastRetries
          ? { retryOptions: { maxRetries: 3, maxRetryDelay: 1, retryDelayMultiplier: 1, totalTimeout: 30 } }
          : {}),
      };
    },
    requestsTo: (method, pathPart) => filterRequests(requests, method, pathPart),
    createBucket(name) {
      if (!store.buckets.has(name)) store.createBucket(name);
    },
    putObject(bucket, name, data, init = {}) {
      return view(store.put(bucket, name, Buffer.from(data), init));
    },
    objects(bucket) {
      const b = store.buckets.get(bucket);
      if (!b) return [];
      return [...b.objects.values()]
        .sort((x, y) => Buffer.compare(Buffer.from(x.name), Buffer.from(y.name)))
        .map(view);
    },
    object(bucket, name) {
      const o = store.buckets.get(bucket)?.objects.get(name);
      return o ? view(o) : undefined;
    },
    emptyPagesNext(n) {
      emptyPages = n;
    },
    reset() {
      emptyPages = 0;
      store = new GcsStore();
      sessions = new Map();
      requests.length = 0;
      faults.clear();
    },
    close: () => server.close(),
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function preconditions(query: Record<string, string>): Preconditions {
  const pre: Preconditions = {};
  for (const key of PRECONDITION_KEYS) if (query[key] !== undefined) pre[key] = query[key];
  return pre;
}

function newObject(metadata: Record<string, unknown>, contentTypeHeader: string | undefined): NewObject {
  const init: NewObject = {};
  const contentType = typeof metadata.contentType === 'string' ? metadata.contentType : contentTypeHeader;
  if (contentType) init.contentType = contentType;
  if (typeof metadata.contentEncoding === 'string') init.contentEncoding = metadata.contentEncoding;
  if (typeof metadata.cacheControl === 'string') init.cacheControl = metadata.cacheControl;
  if (metadata.metadata && typeof metadata.metadata === 'object') {
    init.metadata = Object.fromEntries(
      Object.entries(metadata.metadata as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
    );
  }
  return init;
}

function etag(o: StoredObject): string {
  return Buffer.from(`${o.generation}:${o.metageneration}`).toString('base64');
}
