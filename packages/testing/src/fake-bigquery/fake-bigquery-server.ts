// A fake BigQuery REST API (v2) server for tests. The real @google-cloud/bigquery
// client works against it: datasets, tables, jobs (load from gs:// URIs or an
// upload, query incl. DML/MERGE) with client-chosen job ids (409 on reuse),
// polling through PENDING → RUNNING → DONE, and query results. Tables live in
// DuckDB: load jobs read their Parquet/NDJSON files from the fake GCS and check
// them against the schema, and query jobs run their SQL through a small
// GoogleSQL → DuckDB translation (translate.ts) that fails on anything it does
// not know. Tests may still script answers with `onQuery`/`onJob` and assert on
// the recorded requests. Fault injection (`faults`) answers in BigQuery's error format.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OAuth2Client } from 'google-auth-library';
import type { FakeGcsServer } from '../fake-gcs/fake-gcs-server.ts';
import { testAuthClient } from '../http/auth.ts';
import { type FaultSpec, Faults, type RequestInfo } from '../http/faults.ts';
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
import { SqlEngine } from './engine.ts';
import {
  BigQueryModel,
  type ErrorProto,
  type FakeJob,
  type JobHandler,
  type QueryHandler,
  type StoredTable,
} from './model.ts';
import { encodeRows, type Row, type TimestampFormat } from './rows.ts';

export interface FakeBigQueryOptions {
  /** Default project for `clientOptions()`; default `test-project`. */
  projectId?: string;
  /** Location of datasets and jobs that do not name one; default `US`. */
  location?: string;
  /** Reads a new job stays unfinished (see `pollsUntilDone`); default 1. */
  pollsUntilDone?: number;
  /** When given, load jobs check their gs:// source URIs against this fake GCS (missing → job fails notFound). */
  gcs?: FakeGcsServer;
}

/** Options to pass to `new BigQuery(...)` so the real client talks to the fake. */
export interface FakeBigQueryClientOptions {
  apiEndpoint: string;
  projectId: string;
  authClient: OAuth2Client;
  location?: string;
  retryOptions?: {
    maxRetries?: number;
    maxRetryDelay?: number;
    retryDelayMultiplier?: number;
    totalTimeout?: number;
  };
}

export interface FakeTable {
  projectId: string;
  datasetId: string;
  tableId: string;
  /** The table resource as stored (what the client sent plus server fields). */
  resource: Record<string, unknown>;
  insertedRows: Record<string, unknown>[];
  loadedUris: string[];
}

export interface FakeBigQueryServer {
  readonly url: string;
  readonly port: number;
  readonly faults: Faults;
  readonly requests: RecordedRequest[];
  /**
   * Reads (jobs.get, jobs.getQueryResults) a new job answers as not DONE before it
   * finishes. 1 (the default): PENDING in the insert response, DONE at the first
   * read. 3: PENDING, RUNNING, RUNNING, DONE. 0: DONE in the insert response (the
   * client's createJob then rejects at once if the job failed).
   */
  pollsUntilDone: number;
  clientOptions(options?: {
    projectId?: string;
    location?: string;
    fastRetries?: boolean;
  }): FakeBigQueryClientOptions;
  /** Answers query jobs; the most recently registered handler that returns something wins. */
  onQuery(handler: QueryHandler): void;
  /** Scripts jobs (polls, failure, statistics) when they are inserted; most recent handler first. */
  onJob(handler: JobHandler): void;
  /** All jobs in insertion order. */
  jobs(): FakeJob[];
  job(jobId: string, projectId?: string): FakeJob | undefined;
  /** SQL of every query job, in order. */
  queries(): string[];
  table(datasetId: string, tableId: string, projectId?: string): FakeTable | undefined;
  tables(datasetId: string, projectId?: string): FakeTable[];
  datasetExists(datasetId: string, projectId?: string): boolean;
  /** Recorded requests whose method matches and whose path contains `pathPart` (or matches the RegExp). */
  requestsTo(method: string, pathPart: string | RegExp): RecordedRequest[];
  /** Raw DuckDB on the fake's tables (schemas "project.dataset"): to seed benchmarks, not to test SQL. */
  sql(text: string): Promise<Row[]>;
  /** The rows a table holds now (loaded, merged, inserted by SQL). */
  rows(datasetId: string, tableId: string, projectId?: string): Promise<Row[]>;
  /** Forgets datasets, jobs, handlers, requests and faults. */
  reset(): void;
  close(): Promise<void>;
}

/** Fault specs in the shape BigQuery answers with (use with `server.faults.failNext`). */
export const bigQueryErrors = {
  /**
   * NOT retried by @google-cloud/bigquery 9.3: its retry check sees only the HTTP
   * status (403), never the body's reason, so callers must back off themselves.
   */
  rateLimitExceeded(
    message = 'Exceeded rate limits: too many table update operations for this table.',
  ): FaultSpec {
    return { status: 403, reason: 'rateLimitExceeded', domain: 'usageLimits', message };
  },
  /** Not retried by the client (nor should it be: the quota is exhausted until it resets). */
  quotaExceeded(
    message = 'Quota exceeded: Your table exceeded quota for imports or query appends per table.',
  ): FaultSpec {
    return { status: 403, reason: 'quotaExceeded', domain: 'usageLimits', message };
  },
  /** Retried by the client (503). */
  backendError(message = 'Backend error. Job aborted.'): FaultSpec {
    return { status: 503, reason: 'backendError', message };
  },
};

/** An ErrorProto for `onJob(() => ({ errorResult: jobError(...) }))`. */
export function jobError(reason: string, message: string, location?: string): ErrorProto {
  return { reason, message, ...(location ? { location } : {}) };
}

const REASON_STATUS: Record<string, number> = {
  notFound: 404,
  duplicate: 409,
  accessDenied: 403,
  quotaExceeded: 403,
  rateLimitExceeded: 403,
  backendError: 500,
  internalError: 500,
  stopped: 400,
};

export async function startFakeBigQuery(options: FakeBigQueryOptions = {}): Promise<FakeBigQueryServer> {
  const defaultProject = options.projectId ?? 'test-project';
  const location = options.location ?? 'US';
  const faults = new Faults();
  const requests: RecordedRequest[] = [];
  let listening: ListeningServer | undefined;
  const url = () => listening?.url ?? '';
  const engine = await SqlEngine.create();
  const newModel = () => {
    engine.reset();
    const m = new BigQueryModel({ url, location, ...(options.gcs ? { gcs: options.gcs } : {}) }, engine);
    m.pollsUntilDone = options.pollsUntilDone ?? 1;
    return m;
  };
  let model = newModel();

  const tableView = (t: StoredTable): FakeTable => {
    const ref = t.resource.tableReference as { projectId: string; datasetId: string; tableId: string };
    return { ...ref, resource: t.resource, insertedRows: t.insertedRows, loadedUris: t.loadedUris };
  };

  /** getQueryResults / jobs.query body for a job. */
  const queryResponse = (
    kind: string,
    jobId: string,
    projectId: string,
    page: { maxResults?: number; pageToken?: string; startIndex?: number; ts: TimestampFormat },
  ) => {
    // Already found by the caller (with its location): look it up by id only.
    const job = model.jobs.get(`${projectId}:${jobId}`);
    if (!job) throw new HttpError(404, 'notFound', `Not found: Job ${projectId}:${jobId}`);
    if (job.state !== 'DONE') {
      return { kind, etag: job.resource.etag, jobReference: job.reference, jobComplete: false };
    }
    if (job.errorResult) {
      throw new HttpError(
        REASON_STATUS[job.errorResult.reason] ?? 400,
        job.errorResult.reason,
        job.errorResult.message,
      );
    }
    const result = job.result ?? { schema: [], rows: [] };
    const start = page.pageToken ? Number(page.pageToken) : (page.startIndex ?? 0);
    const end = page.maxResults ? start + page.maxResults : result.rows.length;
    const rows = result.rows.slice(start, end);
    return {
      kind,
      etag: job.resource.etag,
      schema: { fields: result.schema },
      jobReference: job.reference,
      totalRows: String(result.rows.length),
      ...(rows.length > 0 ? { rows: encodeRows(result.schema, rows, page.ts) } : {}),
      ...(end < result.rows.length ? { pageToken: String(end) } : {}),
      totalBytesProcessed: '0',
      jobComplete: true,
      cacheHit: false,
      ...(result.affectedRows !== undefined ? { numDmlAffectedRows: String(result.affectedRows) } : {}),
      ...(result.dmlStats ? { dmlStats: result.dmlStats } : {}),
    };
  };

  const route = async (
    req: IncomingMessage,
    res: ServerResponse,
    u: URL,
    raw: Buffer,
    record: RecordedRequest,
  ) => {
    const method = req.method ?? 'GET';
    const q = queryRecord(u);
    const segs = u.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const json = () => {
      const body = (parseJson(raw) ?? {}) as Record<string, unknown>;
      record.body = body;
      return body;
    };
    // /upload/bigquery/v2/projects/{p}/jobs — a load job with its data in a multipart body.
    if (segs[0] === 'upload' && segs[1] === 'bigquery' && segs[2] === 'v2' && segs[3] === 'projects') {
      const [, , , , p, jobs] = segs;
      if (p && jobs === 'jobs' && segs.length === 6 && method === 'POST') {
        const [meta, media] = parseMultipart(String(req.headers['content-type'] ?? ''), raw);
        if (!meta) throw new HttpError(400, 'invalid', 'multipart upload without job metadata');
        const body = (parseJson(meta.body) ?? {}) as Record<string, unknown>;
        record.body = body;
        return sendJson(res, 200, (await model.insertJob(p, body, media?.body ?? Buffer.alloc(0))).resource);
      }
    }
    if (segs[0] !== 'bigquery' || segs[1] !== 'v2' || segs[2] !== 'projects' || !segs[3]) {
      throw new HttpError(404, 'notFound', `fake-bigquery: no route for ${method} ${u.pathname}`);
    }
    const p = segs[3];
    const [collection, id, sub, subId, action] = segs.slice(4);
    if (collection === 'datasets') {
      if (id === undefined) {
        if (method === 'POST') return sendJson(res, 200, (await model.insertDataset(p, json())).resource);
        if (method === 'GET') {
          const datasets = [...model.datasets.values()].filter((d) => d.projectId === p);
          return sendJson(res, 200, {
            kind: 'bigquery#datasetList',
            datasets: datasets.map((d) => ({
              kind: 'bigquery#dataset',
              id: d.resource.id,
              datasetReference: d.resource.datasetReference,
              location: d.resource.location,
            })),
          });
        }
      } else if (sub === undefined) {
        if (method === 'GET') return sendJson(res, 200, model.dataset(p, id).resource);
        if (method === 'PATCH' || method === 'PUT') {
          const dataset = model.dataset(p, id);
          Object.assign(dataset.resource, json(), { lastModifiedTime: String(Date.now()) });
          return sendJson(res, 200, dataset.resource);
        }
        if (method === 'DELETE') {
          await model.deleteDataset(p, id, q.deleteContents === 'true');
          return void res.writeHead(204).end();
        }
      } else if (sub === 'tables') {
        if (subId === undefined) {
          if (method === 'POST') return sendJson(res, 200, (await model.insertTable(p, id, json())).resource);
          if (method === 'GET') {
            const tables = [...model.dataset(p, id).tables.values()];
            return sendJson(res, 200, {
              kind: 'bigquery#tableList',
              tables: tables.map((t) => ({
                kind: 'bigquery#table',
                id: t.resource.id,
                tableReference: t.resource.tableReference,
                type: t.resource.type,
              })),
              totalItems: tables.length,
            });
          }
        } else if (action === undefined) {
          if (method === 'GET') return sendJson(res, 200, model.table(p, id, subId).resource);
          if (method === 'PATCH' || method === 'PUT')
            return sendJson(res, 200, model.patchTable(p, id, subId, json()).resource);
          if (method === 'DELETE') {
            await model.deleteTable(p, id, subId);
            return void res.writeHead(204).end();
          }
        } else if (action === 'insertAll' && method === 'POST') {
          const table = model.table(p, id, subId);
          const rows = (json().rows ?? []) as { json?: Record<string, unknown> }[];
          table.insertedRows.push(...rows.map((r) => r.json ?? {}));
          table.resource.numRows = String(Number(table.resource.numRows ?? 0) + rows.length);
          return sendJson(res, 200, { kind: 'bigquery#tableDataInsertAllResponse' });
        } else if (action === 'data' && method === 'GET') {
          const table = model.table(p, id, subId);
          const fields = ((table.resource.schema ?? {}) as { fields?: [] }).fields ?? [];
          const start = q.pageToken ? Number(q.pageToken) : Number(q.startIndex ?? 0);
          const end = q.maxResults ? start + Number(q.maxResults) : table.insertedRows.length;
          const rows = table.insertedRows.slice(start, end);
          return sendJson(res, 200, {
            kind: 'bigquery#tableDataList',
            totalRows: String(table.insertedRows.length),
            ...(rows.length > 0 ? { rows: encodeRows(fields, rows, timestampFormat(q)) } : {}),
            ...(end < table.insertedRows.length ? { pageToken: String(end) } : {}),
          });
        }
      }
    }
    if (collection === 'jobs') {
      if (id === undefined) {
        if (method === 'POST') return sendJson(res, 200, (await model.insertJob(p, json())).resource);
        if (method === 'GET') {
          return sendJson(res, 200, {
            kind: 'bigquery#jobList',
            jobs: [...model.jobs.values()].filter((j) => j.reference.projectId === p).map((j) => j.resource),
          });
        }
      } else if (sub === undefined && method === 'GET') {
        const job = model.job(p, id, q.location);
        await model.read(job);
        return sendJson(res, 200, job.resource);
      } else if (sub === 'cancel' && method === 'POST') {
        const job = model.job(p, id, q.location);
        model.cancel(job);
        return sendJson(res, 200, { kind: 'bigquery#jobCancelResponse', job: job.resource });
      }
    }
    if (collection === 'queries') {
      if (id === undefined && method === 'POST') {
        const body = json();
        const job = await model.insertJob(p, {
          jobReference: {
            projectId: p,
            ...(typeof body.location === 'string' ? { location: body.location } : {}),
          },
          configuration: {
            query: {
              query: body.query,
              useLegacySql: body.useLegacySql ?? true,
              ...pick(body, [
                'parameterMode',
                'queryParameters',
                'defaultDataset',
                'useQueryCache',
                'maximumBytesBilled',
              ]),
            },
            ...pick(body, ['labels', 'dryRun']),
          },
        });
        const format = (body.formatOptions ?? {}) as Record<string, unknown>;
        return sendJson(
          res,
          200,
          queryResponse('bigquery#queryResponse', job.reference.jobId, p, {
            ts: timestampFormat({
              'formatOptions.useInt64Timestamp': String(format.useInt64Timestamp ?? ''),
              'formatOptions.timestampOutputFormat': String(format.timestampOutputFormat ?? ''),
            }),
            ...(typeof body.maxResults === 'number' ? { maxResults: body.maxResults } : {}),
          }),
        );
      }
      if (id !== undefined && method === 'GET') {
        const job = model.job(p, id, q.location);
        await model.read(job);
        return sendJson(
          res,
          200,
          queryResponse('bigquery#getQueryResultsResponse', id, p, {
            ts: timestampFormat(q),
            ...(q.maxResults ? { maxResults: Number(q.maxResults) } : {}),
            ...(q.pageToken ? { pageToken: q.pageToken } : {}),
            ...(q.startIndex ? { startIndex: Number(q.startIndex) } : {}),
          }),
        );
      }
    }
    throw new HttpError(404, 'notFound', `fake-bigquery: no route for ${method} ${u.pathname}`);
  };

  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const u = new URL(req.url ?? '/', 'http://fake-bigquery');
    const info: RequestInfo = { method: req.method ?? 'GET', path: u.pathname, query: queryRecord(u) };
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
      if (/json/i.test(String(req.headers['content-type'] ?? '')) && raw.length > 0) {
        try {
          record.body = JSON.parse(raw.toString('utf8'));
        } catch {
          // left undefined; the route answers 400 if it needs the body
        }
      }
      const injected = await faults.apply(req, res, info);
      if (injected !== undefined) {
        record.status = injected;
        record.injected = true;
        return;
      }
      await route(req, res, u, raw, record);
    } catch (err) {
      if (err instanceof HttpError) sendError(res, err);
      else sendError(res, new HttpError(500, 'internalError', `fake-bigquery: ${(err as Error).message}`));
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
    get pollsUntilDone() {
      return model.pollsUntilDone;
    },
    set pollsUntilDone(n: number) {
      model.pollsUntilDone = n;
    },
    clientOptions(opts = {}) {
      const loc = opts.location;
      return {
        apiEndpoint: server.url,
        projectId: opts.projectId ?? defaultProject,
        authClient: testAuthClient(),
        ...(loc ? { location: loc } : {}),
        ...(opts.fastRetries
          ? {
              retryOptions: { maxRetries: 3, maxRetryDelay: 0.05, retryDelayMultiplier: 1, totalTimeout: 30 },
            }
          : {}),
      };
    },
    onQuery(h) {
      model.queryHandlers.push(h);
    },
    onJob(h) {
      model.jobHandlers.push(h);
    },
    jobs: () => [...model.jobs.values()],
    job: (jobId, projectId = defaultProject) => model.jobs.get(`${projectId}:${jobId}`),
    queries: () => [...model.jobs.values()].flatMap((j) => (j.sql !== undefined ? [j.sql] : [])),
    table(datasetId, tableId, projectId = defaultProject) {
      const t = model.datasets.get(`${projectId}.${datasetId}`)?.tables.get(tableId);
      return t ? tableView(t) : undefined;
    },
    tables(datasetId, projectId = defaultProject) {
      return [...(model.datasets.get(`${projectId}.${datasetId}`)?.tables.values() ?? [])].map(tableView);
    },
    datasetExists: (datasetId, projectId = defaultProject) => model.datasets.has(`${projectId}.${datasetId}`),
    requestsTo: (method, pathPart) => filterRequests(requests, method, pathPart),
    reset() {
      model = newModel();
      requests.length = 0;
      faults.clear();
    },
    sql: (text) => engine.sql(text),
    rows: (datasetId, tableId, projectId = defaultProject) => engine.rows({ projectId, datasetId, tableId }),
    close: async () => {
      await server.close();
      await engine.close();
    },
  };
}

function timestampFormat(q: Record<string, string>): TimestampFormat {
  if (q['formatOptions.timestampOutputFormat'] === 'ISO8601_STRING') return 'iso';
  if (
    q['formatOptions.useInt64Timestamp'] === 'false' ||
    q['formatOptions.timestampOutputFormat'] === 'FLOAT64'
  ) {
    return 'float';
  }
  return 'int64';
}

function pick(source: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => source[k] !== undefined).map((k) => [k, source[k]]));
}
