// BigQuery jobs of a step: `{base}_{step}_{n}`.
//
// A job id is unique in a project forever, a failed job's too (inserting any
// existing id answers 409). So the attempts of a step are numbered:
// - attempts 1..probeIds (8) have deterministic ids. Every run goes through
//   them in order: an id that exists is fetched and, when that job finished
//   well and may be reused, it is this step's result (a loader that crashed
//   after a step finished finds it done instead of doing it again); a failed
//   one is skipped, its id is spent;
// - later attempts get ids no run can have used before
//   (`{base}_{step}_{n}_{time}{random}`), so a step can fail any number of
//   times (quota exhausted for hours, concurrent-transaction aborts) and a
//   later run still makes progress. A job under such an id is not found again
//   by id; for load and count that only costs doing the step again, and the
//   merge's success is found in the ledger (bigquery-warehouse.ts).
// Quota and rate-limit errors (which @google-cloud/bigquery does not retry)
// back off and try again, a bounded number of times per run.
import { randomBytes } from 'node:crypto';
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
  /** Jobs a step may create in one run (the first try and its quota retries). */
  maxAttempts: number;
  /** Attempts with deterministic ids, probed by every run (default 8). */
  probeIds?: number;
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
    let created = 0;
    for (let slot = 1; ; slot++) {
      const jobId = this.#attemptId(base, step, slot);
      const { job, created: isNew, failedAtInsert } = await this.#insert(jobId, configuration);
      const metadata = failedAtInsert ?? (await this.#waitDone(job));
      const error = metadata.status?.errorResult as ErrorProto | undefined;
      if (!error) {
        if (isNew || reuse) return { job, metadata, reused: !isNew };
        continue; // an earlier run's job whose effect is gone: run it again under the next id
      }
      if (!isNew) continue; // an earlier run's failed attempt: its id is spent
      created += 1;
      if (
        QUOTA_REASONS.has(error.reason ?? '') &&
        quotaRetries < this.#o.backoff.retries &&
        created < this.#o.maxAttempts
      ) {
        const { initialMs, maxMs } = this.#o.backoff;
        const wait = Math.min(maxMs, initialMs * 2 ** quotaRetries++);
        this.#o.onBackoff?.(jobId, error.reason ?? 'quota', wait);
        await this.#o.sleep(wait);
        continue;
      }
      throw new BigQueryJobError(jobId, error);
    }
  }

  #attemptId(base: string, step: string, slot: number): string {
    if (slot <= this.#probeIds) return `${base}_${step}_${slot}`;
    return `${base}_${step}_${slot}_${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
  }

  get #probeIds(): number {
    return this.#o.probeIds ?? 8;
  }

  /**
   * The successful job of `step` from an earlier run among the deterministic
   * ids, if there is one: they are used from 1 without gaps, so the first id
   * that does not exist ends the search. `exhausted`: every deterministic id
   * is taken by a failed job, so a later attempt (not found by id) may have
   * succeeded.
   */
  async findSucceeded(base: string, step: string): Promise<{ found?: JobOutcome; exhausted: boolean }> {
    const location = this.#o.location();
    for (let attempt = 1; attempt <= this.#probeIds; attempt++) {
      const job = this.#o.client.job(`${base}_${step}_${attempt}`, location ? { location } : {});
      try {
        const metadata = await this.#waitDone(job);
        if (!metadata.status?.errorResult)
          return { found: { job, metadata, reused: true }, exhausted: false };
      } catch (err) {
        if (codeOf(err) === 404) return { exhausted: false };
        throw err;
      }
    }
    return { exhausted: true };
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
