// State of the fake BigQuery: datasets, tables and jobs, and the job lifecycle
// (PENDING → RUNNING → DONE after a configurable number of polls, scripted
// failures). Data lives in the SqlEngine (engine.ts): load jobs read their
// files, query jobs run their SQL, unless a test handler answers first.
// Rules modelled here, each with the page it comes from:
// - job ids are unique in a project forever: any existing id, failed or not,
//   answers 409 duplicate (https://cloud.google.com/bigquery/docs/running-jobs#generate-jobid);
// - a dataset is created in the requested location, else the default (US), and
//   a job runs in one location: a job given a location other than its
//   datasets' fails notFound, and jobs.get without a location does not find a
//   job in a single region (https://cloud.google.com/bigquery/docs/locations#specify_locations,
//   https://cloud.google.com/bigquery/docs/reference/rest/v2/jobs/get).
import { randomUUID } from 'node:crypto';
import type { FakeGcsServer } from '../fake-gcs/fake-gcs-server.ts';
import { HttpError } from '../http/server-kit.ts';
import type { SourceFile, SqlEngine } from './engine.ts';
import { decodeParams, inferSchema, type Row, type TableField } from './rows.ts';
import type { WireParam } from './translate.ts';

/** BigQuery's ErrorProto, as in `status.errorResult` and `status.errors[]`. */
export interface ErrorProto {
  reason: string;
  message: string;
  location?: string;
  debugInfo?: string;
}

export type JobType = 'LOAD' | 'QUERY' | 'COPY' | 'EXTRACT' | 'UNKNOWN';
export type JobState = 'PENDING' | 'RUNNING' | 'DONE';

export interface JobReference {
  projectId: string;
  jobId: string;
  location: string;
}

/** What a query handler returns: rows (schema inferred unless given), or a DML result, or an error. */
export interface QueryResult {
  rows?: Row[];
  schema?: TableField[];
  /** numDmlAffectedRows of a DML/MERGE statement. */
  affectedRows?: number;
  dmlStats?: { insertedRowCount?: number; updatedRowCount?: number; deletedRowCount?: number };
  /** Fails the job with this errorResult. */
  error?: ErrorProto;
  /** statistics.query.totalBytesProcessed (the SQL engine's bytes model; 0 for scripted answers). */
  bytesProcessed?: number;
}

export interface QueryContext {
  job: FakeJob;
  /** Named parameters as a record, positional ones as an array; scalar values are strings, as sent. */
  params: Record<string, unknown> | unknown[];
}

/** Return rows, a QueryResult, or undefined to let an older handler answer. Throwing fails the job (invalidQuery). */
export type QueryHandler = (sql: string, ctx: QueryContext) => QueryResult | Row[] | undefined;

/** How a job should behave; returned by `onJob` handlers. */
export interface JobScript {
  /** Reads (jobs.get / getQueryResults) the job stays unfinished; overrides the server default. */
  pollsUntilDone?: number;
  /** Fails the job. */
  errorResult?: ErrorProto;
  errors?: ErrorProto[];
  /** Merged into the job's `statistics` (per top-level key) when it finishes. */
  statistics?: Record<string, unknown>;
}

export type JobHandler = (job: FakeJob) => JobScript | undefined;

/** A job as tests see it. `resource` is exactly what the fake serves for jobs.get. */
export interface FakeJob {
  reference: JobReference;
  type: JobType;
  configuration: Record<string, unknown>;
  state: JobState;
  /** How many times the job was read (jobs.get, getQueryResults). */
  reads: number;
  errorResult?: ErrorProto;
  /** The SQL of a query job. */
  sql?: string;
  /** Bytes sent with a media upload (`table.load(localFile)`, `createWriteStream`). */
  uploadedData?: Buffer;
  readonly resource: Record<string, unknown>;
}

export interface StoredDataset {
  projectId: string;
  datasetId: string;
  resource: Record<string, unknown>;
  tables: Map<string, StoredTable>;
}

export interface StoredTable {
  resource: Record<string, unknown>;
  /** Rows sent with tabledata.insertAll. */
  insertedRows: Row[];
  /** Source URIs of the load jobs that finished into this table, in order. */
  loadedUris: string[];
}

interface JobRecord extends FakeJob {
  remainingPolls: number;
  script: JobScript;
  errors?: ErrorProto[];
  statistics: Record<string, unknown>;
  /** Modification counts of the tables when the job was inserted (the concurrent-transaction rule). */
  startVersions: Map<string, number>;
  /** Whether the job's location was given (else it was inferred). */
  locationGiven: boolean;
  /** Set when a query job finishes. */
  result?: { schema: TableField[]; rows: Row[]; affectedRows?: number; dmlStats?: Record<string, string> };
}

export interface ModelOptions {
  url: () => string;
  location: string;
  gcs?: FakeGcsServer;
}

export class BigQueryModel {
  pollsUntilDone = 1;
  readonly datasets = new Map<string, StoredDataset>();
  readonly jobs = new Map<string, JobRecord>();
  readonly queryHandlers: QueryHandler[] = [];
  readonly jobHandlers: JobHandler[] = [];
  readonly #opts: ModelOptions;
  readonly engine: SqlEngine;

  constructor(opts: ModelOptions, engine: SqlEngine) {
    this.#opts = opts;
    this.engine = engine;
  }

  // --- datasets and tables ---------------------------------------------------
  async insertDataset(projectId: string, body: Record<string, unknown>): Promise<StoredDataset> {
    const ref = (body.datasetReference ?? {}) as { datasetId?: string; projectId?: string };
    const datasetId = ref.datasetId;
    if (!datasetId)
      throw new HttpError(400, 'invalid', 'Required parameter is missing: datasetReference.datasetId');
    const key = `${projectId}.${datasetId}`;
    if (this.datasets.has(key))
      throw new HttpError(409, 'duplicate', `Already Exists: Dataset ${projectId}:${datasetId}`);
    const now = String(Date.now());
    const dataset: StoredDataset = {
      projectId,
      datasetId,
      tables: new Map(),
      resource: {
        ...body,
        kind: 'bigquery#dataset',
        etag: randomUUID(),
        id: `${projectId}:${datasetId}`,
        selfLink: `${this.#opts.url()}/bigquery/v2/projects/${projectId}/datasets/${datasetId}`,
        datasetReference: { datasetId, projectId },
        location: typeof body.location === 'string' ? body.location : this.#opts.location,
        creationTime: now,
        lastModifiedTime: now,
        type: 'DEFAULT',
      },
    };
    this.datasets.set(key, dataset);
    await this.engine.createDataset(projectId, datasetId);
    return dataset;
  }

  dataset(projectId: string, datasetId: string): StoredDataset {
    const dataset = this.datasets.get(`${projectId}.${datasetId}`);
    if (!dataset) throw new HttpError(404, 'notFound', `Not found: Dataset ${projectId}:${datasetId}`);
    return dataset;
  }

  async deleteDataset(projectId: string, datasetId: string, deleteContents: boolean): Promise<void> {
    const dataset = this.dataset(projectId, datasetId);
    if (dataset.tables.size > 0 && !deleteContents) {
      throw new HttpError(400, 'resourceInUse', `Dataset ${projectId}:${datasetId} is still in use`);
    }
    this.datasets.delete(`${projectId}.${datasetId}`);
    await this.engine.dropDataset(projectId, datasetId);
  }

  async insertTable(
    projectId: string,
    datasetId: string,
    body: Record<string, unknown>,
  ): Promise<StoredTable> {
    const dataset = this.dataset(projectId, datasetId);
    const ref = (body.tableReference ?? {}) as { tableId?: string };
    const tableId = ref.tableId;
    if (!tableId)
      throw new HttpError(400, 'invalid', 'Required parameter is missing: tableReference.tableId');
    if (dataset.tables.has(tableId)) {
      throw new HttpError(409, 'duplicate', `Already Exists: Table ${projectId}:${datasetId}.${tableId}`);
    }
    const now = String(Date.now());
    const table: StoredTable = {
      insertedRows: [],
      loadedUris: [],
      resource: {
        ...body,
        kind: 'bigquery#table',
        etag: randomUUID(),
        id: `${projectId}:${datasetId}.${tableId}`,
        selfLink: `${this.#opts.url()}/bigquery/v2/projects/${projectId}/datasets/${datasetId}/tables/${tableId}`,
        tableReference: { projectId, datasetId, tableId },
        type: body.view ? 'VIEW' : 'TABLE',
        location: dataset.resource.location,
        creationTime: now,
        lastModifiedTime: now,
        numRows: '0',
        numBytes: '0',
      },
    };
    dataset.tables.set(tableId, table);
    if (!body.view) await this.engine.createTable({ projectId, datasetId, tableId }, fieldsOf(body));
    return table;
  }

  table(projectId: string, datasetId: string, tableId: string): StoredTable {
    const table = this.dataset(projectId, datasetId).tables.get(tableId);
    if (!table) throw new HttpError(404, 'notFound', `Not found: Table ${projectId}:${datasetId}.${tableId}`);
    return table;
  }

  patchTable(
    projectId: string,
    datasetId: string,
    tableId: string,
    body: Record<string, unknown>,
  ): StoredTable {
    const table = this.table(projectId, datasetId, tableId);
    const { tableReference: _ref, id: _id, kind: _kind, ...changes } = body;
    Object.assign(table.resource, changes, { lastModifiedTime: String(Date.now()), etag: randomUUID() });
    return table;
  }

  async deleteTable(projectId: string, datasetId: string, tableId: string): Promise<void> {
    this.table(projectId, datasetId, tableId);
    this.dataset(projectId, datasetId).tables.delete(tableId);
    await this.engine.dropTable({ projectId, datasetId, tableId });
  }

  // --- jobs --------------------------------------------------------------------
  async insertJob(
    projectId: string,
    body: Record<string, unknown>,
    uploadedData?: Buffer,
  ): Promise<JobRecord> {
    const given = (body.jobReference ?? {}) as Partial<JobReference>;
    const configuration0 = (body.configuration ?? {}) as Record<string, unknown>;
    const reference: JobReference = {
      projectId: given.projectId ?? projectId,
      jobId: given.jobId ?? `job_${randomUUID().replaceAll('-', '_')}`,
      // Without a location BigQuery runs the job where its datasets are.
      location: given.location ?? this.#inferLocation(given.projectId ?? projectId, configuration0),
    };
    const key = `${reference.projectId}:${reference.jobId}`;
    if (this.jobs.has(key)) {
      throw new HttpError(
        409,
        'duplicate',
        `Already Exists: Job ${reference.projectId}:${reference.location}.${reference.jobId}`,
      );
    }
    const configuration = { ...((body.configuration ?? {}) as Record<string, unknown>) };
    const type = jobType(configuration);
    configuration.jobType = type;
    const query = configuration.query as { query?: unknown } | undefined;
    const model = this;
    const job: JobRecord = {
      reference,
      type,
      configuration,
      state: 'PENDING',
      reads: 0,
      remainingPolls: 0,
      script: {},
      startVersions: this.engine.versions(),
      locationGiven: given.location !== undefined,
      statistics: { creationTime: String(Date.now()) },
      ...(type === 'QUERY' && typeof query?.query === 'string' ? { sql: query.query } : {}),
      ...(uploadedData ? { uploadedData } : {}),
      get resource() {
        return model.jobResource(job);
      },
    };
    this.jobs.set(key, job);
    job.script = firstDefined(this.jobHandlers, (h) => h(job)) ?? {};
    job.remainingPolls = job.script.pollsUntilDone ?? this.pollsUntilDone;
    if (job.remainingPolls <= 0) await this.#finish(job);
    return job;
  }

  job(projectId: string, jobId: string, location?: string): JobRecord {
    const job = this.jobs.get(`${projectId}:${jobId}`);
    const where = job?.reference.location.toUpperCase() ?? '';
    const mismatch = location
      ? location.toUpperCase() !== where
      : // jobs.get must name the location of a job in a single region.
        !['US', 'EU'].includes(where);
    if (!job || mismatch) {
      throw new HttpError(
        404,
        'notFound',
        `Not found: Job ${projectId}:${location ?? this.#opts.location}.${jobId}`,
      );
    }
    return job;
  }

  /** A poll: moves the job one step towards DONE. */
  async read(job: JobRecord): Promise<void> {
    job.reads += 1;
    if (job.state === 'DONE') return;
    job.remainingPolls -= 1;
    if (job.remainingPolls <= 0) await this.#finish(job);
    else {
      job.state = 'RUNNING';
      job.statistics.startTime ??= String(Date.now());
    }
  }

  cancel(job: JobRecord): void {
    if (job.state === 'DONE') return;
    job.errorResult = {
      reason: 'stopped',
      message: 'Job execution was cancelled: User requested cancellation',
    };
    job.errors = [job.errorResult];
    job.state = 'DONE';
    job.statistics.endTime = String(Date.now());
  }

  jobResource(job: JobRecord): Record<string, unknown> {
    const { projectId, jobId, location } = job.reference;
    return {
      kind: 'bigquery#job',
      etag: Buffer.from(`${jobId}:${job.state}`).toString('base64'),
      id: `${projectId}:${location}.${jobId}`,
      selfLink: `${this.#opts.url()}/bigquery/v2/projects/${projectId}/jobs/${jobId}?location=${location}`,
      user_email: 'eventkit-test@example.com',
      configuration: job.configuration,
      jobReference: { ...job.reference },
      statistics: job.statistics,
      status: {
        state: job.state,
        ...(job.errorResult ? { errorResult: job.errorResult } : {}),
        ...(job.errors ? { errors: job.errors } : {}),
      },
    };
  }

  async #finish(job: JobRecord): Promise<void> {
    const now = String(Date.now());
    job.statistics.startTime ??= now;
    job.statistics.endTime = now;
    job.state = 'DONE';
    if (job.script.errorResult) {
      this.#fail(job, job.script.errorResult, job.script.errors);
    } else {
      try {
        this.#checkLocation(job);
        if (job.type === 'QUERY') await this.#finishQuery(job);
        if (job.type === 'LOAD') await this.#finishLoad(job);
      } catch (err) {
        const proto =
          err instanceof HttpError
            ? { reason: err.reason, message: err.message }
            : { reason: 'invalidQuery', message: (err as Error).message };
        this.#fail(job, proto);
      }
    }
    for (const [key, value] of Object.entries(job.script.statistics ?? {})) {
      const current = job.statistics[key];
      job.statistics[key] =
        isObject(current) && isObject(value) ? { ...current, ...value } : (value as Record<string, unknown>);
    }
  }

  #fail(job: JobRecord, errorResult: ErrorProto, errors?: ErrorProto[]): void {
    job.errorResult = errorResult;
    job.errors = errors ?? [errorResult];
  }

  async #finishQuery(job: JobRecord): Promise<void> {
    const sql = job.sql ?? '';
    const statementType = statementTypeOf(sql);
    const config = (job.configuration.query ?? {}) as {
      queryParameters?: unknown;
      tableDefinitions?: Record<
        string,
        { sourceUris?: string[]; sourceFormat?: string; schema?: { fields?: TableField[] } }
      >;
    };
    const params = decodeParams(config.queryParameters);
    const answer = firstDefined(this.queryHandlers, (h) => h(sql, { job, params }));
    // No handler answered: the SQL runs (translated to DuckDB); what the translation does not know fails the job.
    const result: QueryResult = Array.isArray(answer)
      ? { rows: answer }
      : (answer ??
        (await this.engine.run(sql, {
          projectId: job.reference.projectId,
          params: (Array.isArray(config.queryParameters) ? config.queryParameters : []) as WireParam[],
          externalTables: Object.fromEntries(
            Object.entries(config.tableDefinitions ?? {}).map(([name, def]) => [
              name,
              {
                files: this.#sourceFiles(def.sourceUris ?? []),
                format: def.sourceFormat ?? 'CSV',
                ...(def.schema?.fields ? { schema: def.schema.fields } : {}),
              },
            ]),
          ),
          startVersions: job.startVersions,
          partitionField: (t) => {
            const [p, d, name] = t.split('.');
            const resource = this.datasets.get(`${p}.${d}`)?.tables.get(name ?? '')?.resource;
            return (resource?.timePartitioning as { field?: string } | undefined)?.field;
          },
        })));
    if (result.error) throw new HttpError(400, result.error.reason, result.error.message);
    const rows = result.rows ?? [];
    const schema = result.schema ?? inferSchema(rows);
    const isDml = ['INSERT', 'UPDATE', 'DELETE', 'MERGE'].includes(statementType);
    const affected = result.affectedRows ?? (isDml ? 0 : undefined);
    const dmlStats = isDml ? dmlStatsOf(statementType, affected ?? 0, result.dmlStats) : undefined;
    job.result = {
      schema,
      rows,
      ...(affected !== undefined ? { affectedRows: affected } : {}),
      ...(dmlStats ? { dmlStats } : {}),
    };
    const bytes = String(result.bytesProcessed ?? 0);
    job.statistics.query = {
      statementType,
      totalBytesProcessed: bytes,
      totalBytesBilled: bytes,
      cacheHit: false,
      ...(isDml ? {} : { schema: { fields: schema } }),
      ...(affected !== undefined ? { numDmlAffectedRows: String(affected) } : {}),
      ...(dmlStats ? { dmlStats } : {}),
    };
    job.statistics.totalBytesProcessed = bytes;
  }

  async #finishLoad(job: JobRecord): Promise<void> {
    const load = (job.configuration.load ?? {}) as {
      sourceUris?: string[];
      destinationTable?: { projectId?: string; datasetId?: string; tableId?: string };
      createDisposition?: string;
      writeDisposition?: string;
      schema?: { fields?: TableField[] };
      sourceFormat?: string;
      ignoreUnknownValues?: boolean;
    };
    const uris = load.sourceUris ?? [];
    const files: SourceFile[] = job.uploadedData
      ? [{ uri: 'upload', data: job.uploadedData }]
      : this.#opts.gcs
        ? this.#sourceFiles(uris)
        : [];
    const inputFileBytes = files.reduce((n, f) => n + f.data.length, 0);
    const dest = load.destinationTable ?? {};
    const projectId = dest.projectId ?? job.reference.projectId;
    const datasetId = dest.datasetId ?? '';
    const tableId = dest.tableId ?? '';
    this.dataset(projectId, datasetId);
    let table: StoredTable;
    try {
      table = this.table(projectId, datasetId, tableId);
    } catch (err) {
      if (load.createDisposition === 'CREATE_NEVER') throw err;
      table = await this.insertTable(projectId, datasetId, {
        tableReference: { projectId, datasetId, tableId },
        ...(load.schema ? { schema: load.schema } : {}),
      });
    }
    const outputRows = await this.engine.load({
      files,
      format: load.sourceFormat ?? 'CSV',
      destination: { projectId, datasetId, tableId },
      schema: load.schema?.fields ?? fieldsOf(table.resource),
      ignoreUnknownValues: load.ignoreUnknownValues === true,
      // A load job appends unless told otherwise.
      writeDisposition: load.writeDisposition ?? 'WRITE_APPEND',
    });
    table.loadedUris.push(...uris);
    const before = load.writeDisposition === 'WRITE_TRUNCATE' ? 0 : Number(table.resource.numRows ?? 0);
    table.resource.numRows = String(before + outputRows);
    job.statistics.load = {
      inputFiles: String(uris.length || (job.uploadedData ? 1 : 0)),
      inputFileBytes: String(inputFileBytes),
      outputRows: String(outputRows),
      outputBytes: String(inputFileBytes),
      badRecords: '0',
    };
  }

  /** The fake GCS objects of gs:// URIs (wildcards too); a URI that matches nothing fails the job. */
  #sourceFiles(uris: readonly string[]): SourceFile[] {
    const gcs = this.#opts.gcs;
    if (!gcs) return [];
    return uris.flatMap((uri) => {
      const matched = matchGcsUri(gcs, uri);
      if (matched.length === 0) throw new HttpError(404, 'notFound', `Not found: URI ${uri}`);
      const bucket = /^gs:\/\/([^/]+)\//.exec(uri)?.[1] ?? '';
      return matched.map((o) => ({ uri: `gs://${bucket}/${o.name}`, data: o.data }));
    });
  }

  /** The datasets a job reads or writes: a load's destination, the `project.dataset.table` names of a query. */
  #datasetsOf(projectId: string, configuration: Record<string, unknown>): StoredDataset[] {
    const refs: [string, string][] = [];
    const load = configuration.load as
      | { destinationTable?: { projectId?: string; datasetId?: string } }
      | undefined;
    if (load?.destinationTable?.datasetId) {
      refs.push([load.destinationTable.projectId ?? projectId, load.destinationTable.datasetId]);
    }
    const sql = (configuration.query as { query?: unknown } | undefined)?.query;
    if (typeof sql === 'string') {
      for (const m of sql.matchAll(/`([^`.]+)\.([^`.]+)\.[^`.]+`/g)) refs.push([m[1]!, m[2]!]);
    }
    return refs.flatMap(([p, d]) => {
      const dataset = this.datasets.get(`${p}.${d}`);
      return dataset ? [dataset] : [];
    });
  }

  #inferLocation(projectId: string, configuration: Record<string, unknown>): string {
    const first = this.#datasetsOf(projectId, configuration)[0];
    return String(first?.resource.location ?? this.#opts.location);
  }

  /** A job runs where its datasets are: another location does not find them. */
  #checkLocation(job: JobRecord): void {
    for (const dataset of this.#datasetsOf(job.reference.projectId, job.configuration)) {
      const where = String(dataset.resource.location);
      if (where.toUpperCase() !== job.reference.location.toUpperCase()) {
        throw new HttpError(
          404,
          'notFound',
          `Not found: Dataset ${dataset.projectId}:${dataset.datasetId} was not found in location ${job.reference.location}`,
        );
      }
    }
  }
}

/** The schema fields of a table resource (or a create-table body). */
function fieldsOf(resource: Record<string, unknown>): TableField[] {
  return ((resource.schema ?? {}) as { fields?: TableField[] }).fields ?? [];
}

function jobType(configuration: Record<string, unknown>): JobType {
  if (configuration.load) return 'LOAD';
  if (configuration.query) return 'QUERY';
  if (configuration.copy) return 'COPY';
  if (configuration.extract) return 'EXTRACT';
  return 'UNKNOWN';
}

/** BigQuery's statementType from the first keyword of the SQL (comments skipped). */
export function statementTypeOf(sql: string): string {
  const text = sql.replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, ' ').trim();
  const words = text.split(/\s+/, 5).map((w) => w.toUpperCase());
  const [first = '', second = '', third = '', fourth = ''] = words;
  if (first === 'SELECT' || first === 'WITH' || first.startsWith('(')) return 'SELECT';
  if (first === 'CREATE' || first === 'DROP' || first === 'TRUNCATE' || first === 'ALTER') {
    const object = second === 'OR' ? fourth : second === 'TEMP' || second === 'TEMPORARY' ? third : second;
    return `${first}_${object || 'TABLE'}`;
  }
  if (first === 'BEGIN' || first === 'DECLARE') return 'SCRIPT';
  return first;
}

function dmlStatsOf(
  statementType: string,
  affected: number,
  given: QueryResult['dmlStats'],
): Record<string, string> {
  const stats = given ?? {
    ...(statementType === 'INSERT' || statementType === 'MERGE' ? { insertedRowCount: affected } : {}),
    ...(statementType === 'UPDATE' ? { updatedRowCount: affected } : {}),
    ...(statementType === 'DELETE' ? { deletedRowCount: affected } : {}),
  };
  return Object.fromEntries(Object.entries(stats).map(([k, v]) => [k, String(v)]));
}

function matchGcsUri(gcs: FakeGcsServer, uri: string) {
  const m = /^gs:\/\/([^/]+)\/(.*)$/.exec(uri);
  if (!m) throw new HttpError(400, 'invalid', `Invalid source URI: ${uri}`);
  const [, bucket = '', pattern = ''] = m;
  const star = pattern.indexOf('*');
  const objects = gcs.objects(bucket);
  if (star === -1) return objects.filter((o) => o.name === pattern);
  const head = pattern.slice(0, star);
  const tail = pattern.slice(star + 1);
  return objects.filter(
    (o) => o.name.startsWith(head) && o.name.endsWith(tail) && o.name.length >= pattern.length - 1,
  );
}

function firstDefined<H, R>(handlers: readonly H[], call: (h: H) => R | undefined): R | undefined {
  // The most recently registered handler wins.
  for (let i = handlers.length - 1; i >= 0; i--) {
    const result = call(handlers[i]!);
    if (result !== undefined) return result;
  }
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
