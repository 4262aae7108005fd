// The loader lease: at most one loader merges into a dataset at a time.
//
// Why: two loaders over the same files (a Cloud Run job that overruns its
// schedule, or `backfill` next to `run`) can build different groups of the
// same files (different job ids) and run two insert-only MERGE transactions.
// BigQuery runs concurrent inserting transactions side by side, each against
// the table as it was when it started, so both commit and every row of those
// files is stored twice. The ledger and the job ids do not help: each loader
// read the ledger before the other committed.
//
// How: a small object in the bucket, `{prefix}_eventkit/{name}.lease`, holds
// the owner, and when the lease expires. Every change is a compare-and-swap on
// the object's generation (ObjectStore ifNotExists / ifGenerationMatch, GCS
// ifGenerationMatch), so of two loaders that race for it exactly one wins:
// - take: create it (ifNotExists), or take over one that expired or is our own
//   (ifGenerationMatch = the generation we read);
// - renew: rewrite it (ifGenerationMatch = our generation), every
//   duration/4 while a run lasts (a timer, also while a long job runs), and
//   before a merge when the last renewal is older than that;
// - check: before every other merge, read its generation: still ours?
// - release: delete it (ifGenerationMatch = ours) at the end of the run.
// A renewal or check that finds another generation means another loader took
// the lease over: LeaseLostError, and the run stops before its next merge.
// A loader that dies holding the lease blocks others until it expires
// (EVENTKIT_WAREHOUSE_LOADER_LEASE seconds after its last renewal). Except on
// one machine (`sameMachine`: the local data directory, which is never shared
// between hosts): there a lease whose holder ran on this host and whose
// process is gone is free at once, so a local mode restarted after a crash
// loads straight away.
//
// Expiry is compared with the local clock against the time the holder wrote,
// so the duration must stay far above clock skew between machines (NTP keeps
// Cloud Run and GKE within milliseconds) and above the longest pause of a
// healthy holder between renewals (duration/4 plus one request).
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { ObjectExistsError, type ObjectStore, PreconditionFailedError } from '@eventkit/shared/ports';

export interface LeaseOptions {
  store: ObjectStore;
  /** The lease object's key. */
  key: string;
  /** How long a taken or renewed lease lasts without another renewal. */
  durationMs: number;
  /** Who we are, in logs and in the object (default: host, PID and a random suffix). */
  owner?: string;
  /**
   * Every loader using this store runs on this machine (the file store): a
   * lease held by a process of this host that no longer exists is free.
   * Never for a bucket, where a hostname or PID says nothing about liveness.
   */
  sameMachine?: boolean;
  /** Test seam: the clock (ms since the epoch). */
  now?: () => number;
}

/** What the lease object holds (JSON). */
export interface LeaseRecord {
  owner: string;
  host: string;
  pid: number;
  /** Unique per write: tells our own write from another's after a lost answer. */
  nonce: string;
  acquired_at: string;
  renewed_at: string;
  expires_at: string;
}

export interface LeaseHolder {
  owner: string;
  expiresAt: Date;
}

export type AcquireResult = { acquired: true } | { acquired: false; holder: LeaseHolder };

export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
}

/** The lease key for a loader of `target` (dataset.table) under the storage prefix. */
export const leaseKey = (prefix: string, target: string): string =>
  `${prefix}_eventkit/loader-${target}.lease`;

export const defaultOwner = (): string => `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

/** Takes, renews, checks and releases one lease object. Not for concurrent use by one holder (the loader serializes its runs). */
export class Lease {
  readonly key: string;
  readonly owner: string;
  readonly durationMs: number;
  /** Renewals this often keep the lease (a quarter of its duration). */
  readonly renewEveryMs: number;
  readonly #store: ObjectStore;
  readonly #now: () => number;
  readonly #sameMachine: boolean;
  #generation: string | undefined;
  #acquiredAt = 0;
  #renewedAt = 0;
  #renewing: Promise<void> | undefined;

  constructor(options: LeaseOptions) {
    this.#store = options.store;
    this.key = options.key;
    this.durationMs = options.durationMs;
    this.renewEveryMs = Math.max(Math.floor(options.durationMs / 4), 1);
    this.owner = options.owner ?? defaultOwner();
    this.#now = options.now ?? Date.now;
    this.#sameMachine = options.sameMachine ?? false;
  }

  get held(): boolean {
    return this.#generation !== undefined;
  }

  /** The lease object's generation while held (for tests and logs). */
  get generation(): string | undefined {
    return this.#generation;
  }

  #record(): LeaseRecord {
    const now = this.#now();
    return {
      owner: this.owner,
      host: hostname(),
      pid: process.pid,
      nonce: randomUUID(),
      acquired_at: new Date(this.#acquiredAt || now).toISOString(),
      renewed_at: new Date(now).toISOString(),
      expires_at: new Date(now + this.durationMs).toISOString(),
    };
  }

  /** The lease as stored, with the generation its bytes belong to; undefined when there is none. */
  async #read(): Promise<
    { record: LeaseRecord | undefined; generation: string; expiresAt: number } | undefined
  > {
    for (let attempt = 0; attempt < 5; attempt++) {
      const before = await this.#store.stat(this.key);
      if (!before) return undefined;
      let bytes: Buffer;
      try {
        bytes = await this.#store.get(this.key);
      } catch {
        continue; // replaced or removed in between: read again
      }
      const after = await this.#store.stat(this.key);
      if (after?.generation !== before.generation) continue;
      const record = parseRecord(bytes);
      // An unreadable lease counts as lasting one duration from its last write.
      const expiresAt = record ? Date.parse(record.expires_at) : before.updated.getTime() + this.durationMs;
      return { record, generation: before.generation, expiresAt };
    }
    throw new Error(`the lease ${this.key} kept changing while it was read`);
  }

  async #write(ifGenerationMatch: string | undefined): Promise<void> {
    const record = this.#record();
    const body = Buffer.from(JSON.stringify(record));
    try {
      const info = await this.#store.put(
        this.key,
        body,
        ifGenerationMatch === undefined
          ? { ifNotExists: true, contentType: 'application/json' }
          : { ifGenerationMatch, contentType: 'application/json' },
      );
      this.#generation = info.generation;
    } catch (err) {
      if (!(err instanceof PreconditionFailedError || err instanceof ObjectExistsError)) throw err;
      // A retried write can fail on its own first attempt: is the live lease the one we wrote?
      const live = await this.#read();
      if (!live || live.record?.nonce !== record.nonce) throw err;
      this.#generation = live.generation;
    }
    if (!this.#acquiredAt) this.#acquiredAt = this.#now();
    this.#renewedAt = this.#now();
  }

  /** Takes the lease when it is free, expired or already ours; otherwise says who holds it. */
  async acquire(): Promise<AcquireResult> {
    for (let attempt = 0; ; attempt++) {
      const live = await this.#read();
      const mine = live?.record?.owner === this.owner;
      if (live && !mine && live.expiresAt > this.#now() && !this.#holderGone(live.record)) {
        return {
          acquired: false,
          holder: { owner: live.record?.owner ?? 'unknown', expiresAt: new Date(live.expiresAt) },
        };
      }
      try {
        this.#acquiredAt = 0;
        await this.#write(live?.generation);
        return { acquired: true };
      } catch (err) {
        this.#generation = undefined;
        if (!(err instanceof PreconditionFailedError || err instanceof ObjectExistsError)) throw err;
        if (attempt >= 3) throw err; // lost several races in a row: say so rather than spin
      }
    }
  }

  /** On one machine only: the holder ran on this host, and its process has exited. */
  #holderGone(record: LeaseRecord | undefined): boolean {
    if (!this.#sameMachine || !record || record.host !== hostname()) return false;
    const pid = record.pid;
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
    try {
      process.kill(pid, 0);
      return false;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'ESRCH';
    }
  }

  /** Extends the lease by a full duration; LeaseLostError when another loader took it. */
  renew(): Promise<void> {
    // The timer and a check before a merge may both renew: one write at a time.
    this.#renewing ??= this.#renew().finally(() => {
      this.#renewing = undefined;
    });
    return this.#renewing;
  }

  async #renew(): Promise<void> {
    const generation = this.#generation;
    if (generation === undefined) throw new LeaseLostError(`the lease ${this.key} is not held`);
    try {
      await this.#write(generation);
    } catch (err) {
      if (!(err instanceof PreconditionFailedError || err instanceof ObjectExistsError)) throw err;
      this.#generation = undefined;
      throw await this.#lostError();
    }
  }

  async #lostError(): Promise<LeaseLostError> {
    const live = await this.#read().catch(() => undefined);
    const by = live?.record ? `by ${live.record.owner}` : 'by another loader (or removed)';
    return new LeaseLostError(
      `the loader lease ${this.key} was taken over ${by}: this loader stops before its next merge (raise EVENTKIT_WAREHOUSE_LOADER_LEASE if this loader was only slow)`,
    );
  }

  /**
   * Before a merge: the lease is still ours. Renews it when the last renewal is
   * older than renewEveryMs, else reads its generation. LeaseLostError otherwise.
   */
  async confirm(): Promise<void> {
    if (this.#generation === undefined) throw new LeaseLostError(`the lease ${this.key} is not held`);
    if (this.#now() - this.#renewedAt >= this.renewEveryMs) return this.renew();
    await this.#renewing; // a renewal under way changes the generation: compare after it
    const expected = this.#generation;
    if (expected === undefined) throw new LeaseLostError(`the lease ${this.key} is not held`);
    const live = await this.#store.stat(this.key);
    if (live?.generation === expected) return;
    // Our own renewal may have landed while we read: it succeeded, so the lease was ours.
    if (this.#generation !== undefined && this.#generation !== expected) return;
    this.#generation = undefined;
    throw await this.#lostError();
  }

  /**
   * Renews every renewEveryMs until the returned function is called, also while
   * a long job runs. Failures go to onError; after a LeaseLostError it stops.
   */
  keepAlive(onError: (err: Error) => void): () => void {
    const timer = setInterval(() => {
      this.renew().catch((err: Error) => {
        if (err instanceof LeaseLostError) clearInterval(timer);
        onError(err);
      });
    }, this.renewEveryMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** Gives the lease up (only our own version of it). Never throws for a lease already lost. */
  async release(): Promise<void> {
    await this.#renewing?.catch(() => undefined);
    const generation = this.#generation;
    this.#generation = undefined;
    this.#acquiredAt = 0;
    if (generation === undefined) return;
    try {
      await this.#store.delete(this.key, { ifGenerationMatch: generation });
    } catch (err) {
      if (!(err instanceof PreconditionFailedError)) throw err;
    }
  }
}

function parseRecord(bytes: Buffer): LeaseRecord | undefined {
  try {
    const value = JSON.parse(bytes.toString('utf8')) as Partial<LeaseRecord>;
    if (typeof value.owner !== 'string' || typeof value.expires_at !== 'string') return undefined;
    if (Number.isNaN(Date.parse(value.expires_at))) return undefined;
    return value as LeaseRecord;
  } catch {
    return undefined;
  }
}
