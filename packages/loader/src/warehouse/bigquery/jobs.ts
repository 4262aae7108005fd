// BigQuery jobs with deterministic ids: `{base}_{step}_{attempt}`.
//
// Inserting a job whose id exists answers 409; the job is then fetched and,
// when it finished well and may be reused, taken as this step's result: a
// loader that crashed after a step finished finds the step done instead of
// doing it again. A job that failed is never reused: the next attempt number
// makes a fresh id. Quota and rate-limit errors (which @google-cloud/bigquery
// does not retry) back off and try again, a bounded number of times.
import type { BigQuery, Job, JobMetadata } from '@google-cloud/bigquery';

export interface JobRunnerOptions {
  client: BigQuery;
  /** Where jobs run (the dataset's location). */
  location: () => string | undefined;
  /** First wait between polls; grows by half each poll up to maxPollIntervalMs. */
  pollIntervalMs: number;
  maxPollIntervalMs: number;
  /** Give up waiting for one job after this long (it keeps running; a retry finds it by id). */
  jobTimeoutMs: number;
  /** Attempts (fresh ids) per step. */
  maxAttempts: number;
  /** Quota and rate-limit backoff: waits initialMs, doubling up to maxMs, at most `retries` times per call. */
  backoff: { initialMs: number; maxMs: number; retries: number };
  sleep: (ms: number) => Promise<void>;
  onBackoff?: (what: string, reason: string, waitMs: number) => void;
}

export interface JobOutcome {
  job: Job;
  metadata: JobMetadata;
  /** The job existed already (an earlier run's) and was reused. */
  reused: boolean;
}

interface ErrorProto {
  reason?: string;
  message?: string;
}

export class BigQueryJobError extends Error {
  override readonly name = 'BigQueryJobError';
  readonly jobId: string;
  readonly reason: string | undefined;
  constructor(jobId: string, error: ErrorProto) {
    super(`BigQuery job ${jobId} failed: ${error.reason ?? 'error'}: ${error.message ?? ''}`.trim());
    this.jobId = jobId;
    this.reason = error.reason;
  }
}

const QUOTA_REASONS = new Set(['rateLimitExceeded', 'quotaExceeded']);

/** The first error reason of a client error or job error, if any. */
export function reasonOf(err: unknown): string | undefined {
  const e = err as { errors?: ErrorProto[]; reason?: string; message?: string } | undefined;
  const reason = e?.errors?.[0]?.reason ?? e?.reason;
  if (reason) return reason;
  // Some client paths keep only the message.
  const m = /\b(rateLimitExceeded|quotaExceeded)\b/.exec(e?.message ?? '');
  return m?.[1];
}

export const isQuotaError = (err: unknown): boolean => QUOTA_REASONS.has(reasonOf(err) ?? '');
const codeOf = (err: unknown) => (err as { code?: unknown })?.code;

export class JobRunner {
  readonly #o: JobRunnerOptions;

  constructor(options: JobRunnerOptions) {
    this.#o = options;
  }

  /** Calls `fn`, backing off on quota/rate-limit errors. */
  async withBackoff<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const { initialMs, maxMs, retries } = this.#o.backoff;
    for (let retry = 0; ; retry++) {
      try {
        return await fn();
      } catch (err) {
        if (!isQuotaError(err) || retry >= retries) throw err;
        const wait = Math.min(maxMs, initialMs * 2 ** retry) * (0.75 + Math.random() * 0.5);
        this.#o.onBackoff?.(what, reasonOf(err) ?? 'quota', Math.round(wait));
        await this.#o.sleep(wait);
      }
    }
  }

  /**
   * Runs step `step` of `base` to a good end. `reuse`: a finished job of an
   * earlier run counts as this step done (false when its effect was lost, e.g.
   * the staging table it filled is gone).
   */
  async run(base: string, step: string, configuration: object, reuse: boolean): Promise<JobOutcome> {
    let quotaRetries = 0;
    for (let attempt = 1; attempt <= this.#o.maxAttempts; attempt++) {
      const jobId = `${base}_${step}_${attempt}`;
      const { job, created, failedAtInsert } = await this.#insert(jobId, configuration);
      const metadata = failedAtInsert ?? (await this.#waitDone(job));
      const error = metadata.status?.errorResult as ErrorProto | undefined;
      if (!error) {
        if (created || reuse) return { job, metadata, reused: !created };
        continue; // an earlier run's job whose effect is gone: run it again under a new id
      }
      if (!created) continue; // an earlier run's failed attempt: its id is spent
      if (QUOTA_REASONS.has(error.reason ?? '') && quotaRetries < this.#o.backoff.retries) {
        const { initialMs, maxMs } = this.#o.backoff;
        const wait = Math.min(maxMs, initialMs * 2 ** quotaRetries++);
        this.#o.onBackoff?.(jobId, error.reason ?? 'quota', wait);
        await this.#o.sleep(wait);
        continue;
      }
      throw new BigQueryJobError(jobId, error);
    }
    throw new Error(`BigQuery step ${base}_${step}: no attempt succeeded in ${this.#o.maxAttempts}`);
  }

  /**
   * The successful job of `step` from an earlier run, if there is one: attempts
   * are numbered from 1 without gaps, so the first id that does not exist ends
   * the search.
   */
  async findSucceeded(base: string, step: string): Promise<JobOutcome | undefined> {
    const location = this.#o.location();
    for (let attempt = 1; attempt <= this.#o.maxAttempts; attempt++) {
      const job = this.#o.client.job(`${base}_${step}_${attempt}`, location ? { location } : {});
      try {
        const metadata = await this.#waitDone(job);
        if (!metadata.status?.errorResult) return { job, metadata, reused: true };
      } catch (err) {
        if (codeOf(err) === 404) return undefined;
        throw err;
      }
    }
    return undefined;
  }

  async #insert(
    jobId: string,
    configuration: object,
  ): Promise<{ job: Job; created: boolean; failedAtInsert?: JobMetadata }> {
    const location = this.#o.location();
    try {
      const [job] = await this.withBackoff(jobId, () =>
        this.#o.client.createJob({ configuration, jobId, ...(location ? { location } : {}) }),
      );
      return { job, created: true };
    } catch (err) {
      if (codeOf(err) === 409) {
        return { job: this.#o.client.job(jobId, location ? { location } : {}), created: false };
      }
      // The job was created but came back finished and failed (the client rejects those).
      const response = (err as { response?: JobMetadata }).response;
      if (response?.status?.state === 'DONE') {
        return {
          job: this.#o.client.job(jobId, location ? { location } : {}),
          created: true,
          failedAtInsert: response,
        };
      }
      throw err;
    }
  }

  async #waitDone(job: Job): Promise<JobMetadata> {
    const deadline = Date.now() + this.#o.jobTimeoutMs;
    let interval = this.#o.pollIntervalMs;
    for (;;) {
      const [metadata] = await this.withBackoff(String(job.id), () => job.getMetadata());
      if (metadata.status?.state === 'DONE') return metadata;
      if (Date.now() + interval > deadline) {
        throw new Error(
          `BigQuery job ${job.id} still ${metadata.status?.state ?? 'running'} after ${this.#o.jobTimeoutMs} ms; a later run will find it by id`,
        );
      }
      await this.#o.sleep(interval);
      interval = Math.min(this.#o.maxPollIntervalMs, Math.ceil(interval * 1.5));
    }
  }

  /** All result rows of a finished query job. */
  async rows<T>(job: Job): Promise<T[]> {
    const [rows] = await this.withBackoff(String(job.id), () => job.getQueryResults({ timeoutMs: 60_000 }));
    return rows as T[];
  }
}
