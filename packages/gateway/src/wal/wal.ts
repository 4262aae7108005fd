// The gateway's write-ahead log, as the HTTP handlers and the WAL relay see it.
//
// append() resolves only once the rows are committed (and, with
// synchronous=FULL, fsync'd): the HTTP handler answers 2xx after that.
//
// Group commit: appends made during one turn of the event loop are posted to
// the WAL thread together (setImmediate), without waiting for the previous
// commit; the thread puts everything queued for it into one transaction (see
// thread.ts). Under load one fsync serves many requests; idle, an append costs
// one commit and no timer.
import { Worker } from 'node:worker_threads';
import type { CleanupResult, SynchronousLevel, WalRow, WalRowInput, WalStats, WalSync } from './store.ts';
import type { WalRequest, WalResponse } from './thread.ts';

export class WalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WalError';
  }
}

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };
type Group = { rows: WalRowInput[]; waiters: Pending[]; started: number };

// Distributes the Omit over the request union (a plain Omit would collapse it).
type WalCall = WalRequest extends infer R ? (R extends WalRequest ? Omit<R, 'id'> : never) : never;

export type WalCommitObserver = (info: { rows: number; durationMs: number }) => void;

export class WriteAheadLog {
  readonly path: string;
  readonly #worker: Worker;
  readonly #calls = new Map<number, Pending>();
  #nextId = 1;
  #group: Group = { rows: [], waiters: [], started: 0 };
  #scheduled = false;
  /** Appends posted to the thread and not yet answered. */
  #outstanding = 0;
  #closed = false;
  #failed: Error | undefined;
  #onCommit: WalCommitObserver | undefined;
  readonly #drainWaiters: (() => void)[] = [];
  /** Kept in step with the file so the HTTP path can check the high-water mark without a round trip. */
  pendingCount = 0;
  pendingBytes = 0;
  /** `PRAGMA synchronous` read back from the WAL thread's connection when it opened. */
  synchronous: SynchronousLevel = 'off';

  private constructor(path: string, worker: Worker) {
    this.path = path;
    this.#worker = worker;
    worker.on('message', (res: WalResponse) => {
      const call = this.#calls.get(res.id);
      if (!call) return;
      this.#calls.delete(res.id);
      if (res.ok) call.resolve(res.result);
      else call.reject(new WalError(res.error));
    });
    worker.on('error', (err) => this.#fail(err));
    worker.on('exit', (code) => {
      if (!this.#closed) this.#fail(new WalError(`WAL thread exited unexpectedly (code ${code})`));
    });
  }

  /** Opens (creating if needed) the WAL file in a worker thread. */
  static async open(path: string, options: { sync?: WalSync; onCommit?: WalCommitObserver } = {}) {
    const worker = new Worker(new URL('./thread.ts', import.meta.url), {
      workerData: { path, sync: options.sync ?? 'full' },
    });
    const wal = new WriteAheadLog(path, worker);
    wal.#onCommit = options.onCommit;
    try {
      await new Promise<void>((resolve, reject) => {
        wal.#calls.set(0, { resolve: () => resolve(), reject });
        worker.once('error', reject);
      });
    } catch (err) {
      wal.#closed = true;
      await worker.terminate();
      throw new WalError(`cannot open the WAL at ${path}: ${(err as Error).message}`);
    }
    const stats = await wal.stats();
    wal.pendingCount = stats.pendingCount;
    wal.pendingBytes = stats.pendingBytes;
    wal.synchronous = stats.synchronous;
    return wal;
  }

  /** Whether the WAL can take writes (false after a fatal error or close). */
  get healthy(): boolean {
    return !this.#failed && !this.#closed;
  }

  /** The fatal error (the WAL thread died), if one happened: nothing can be written or published any more. */
  get failure(): Error | undefined {
    return this.#failed;
  }

  /** Test seam: ends the WAL thread the way a crash would (the WAL fails). */
  async crashThreadForTest(): Promise<void> {
    await this.#worker.terminate();
  }

  #fail(err: Error): void {
    this.#failed = err;
    for (const call of this.#calls.values()) call.reject(err);
    this.#calls.clear();
  }

  #call<T>(req: WalCall): Promise<T> {
    if (this.#failed) return Promise.reject(this.#failed);
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#calls.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#worker.postMessage({ ...req, id } as WalRequest);
    });
  }

  /** Durably appends the rows (see the group commit note above). */
  append(rows: readonly WalRowInput[]): Promise<void> {
    if (this.#closed) return Promise.reject(new WalError('WAL is closed'));
    if (this.#failed) return Promise.reject(this.#failed);
    if (rows.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const group = this.#group;
      if (group.rows.length === 0) group.started = performance.now();
      for (const r of rows) group.rows.push(r);
      group.waiters.push({ resolve: () => resolve(), reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#post());
      }
    });
  }

  #post(): void {
    this.#scheduled = false;
    const group = this.#group;
    if (group.rows.length === 0) return;
    this.#group = { rows: [], waiters: [], started: 0 };
    this.#outstanding++;
    this.#call<number>({ op: 'append', rows: group.rows }).then(
      (bytes) => {
        this.pendingCount += group.rows.length;
        this.pendingBytes += bytes;
        this.#onCommit?.({ rows: group.rows.length, durationMs: performance.now() - group.started });
        for (const w of group.waiters) w.resolve(undefined);
        this.#settled();
      },
      (err: Error) => {
        for (const w of group.waiters) w.reject(err);
        this.#settled();
      },
    );
  }

  #settled(): void {
    this.#outstanding--;
    if (this.#outstanding === 0 && !this.#scheduled) for (const w of this.#drainWaiters.splice(0)) w();
  }

  /** Resolves once every append made so far is committed (or failed). */
  async flushed(): Promise<void> {
    if (this.#outstanding === 0 && !this.#scheduled) return;
    await new Promise<void>((resolve) => this.#drainWaiters.push(resolve));
  }

  readPending(afterId: number, limit: number, maxBytes: number): Promise<WalRow[]> {
    return this.#call({ op: 'readPending', afterId, limit, maxBytes });
  }

  /** Marks rows published; the pending gauges drop by exactly what left the pending set. */
  async markPublished(ids: number[]): Promise<void> {
    const changed = await this.#call<{ rows: number; bytes: number }>({
      op: 'markPublished',
      ids,
      at: Date.now(),
    });
    this.pendingCount -= changed.rows;
    this.pendingBytes -= changed.bytes;
  }

  stats(): Promise<WalStats> {
    return this.#call({ op: 'stats' });
  }

  cleanup(options: { retentionMs: number; maxPublished: number }): Promise<CleanupResult> {
    return this.#call({ op: 'cleanup', ...options, now: Date.now() });
  }

  /**
   * Waits for commits in progress, refuses appends from then on, and closes the
   * file and the thread. Returns the events left pending in the file, read
   * after the last commit (exact: operators decide about a volume on it);
   * undefined when the WAL had failed and could not be read.
   */
  async close(): Promise<{ pending: number | undefined }> {
    if (this.#closed) return { pending: undefined };
    await this.flushed();
    this.#closed = true; // appends made from here on are refused, so the count below is final
    let pending: number | undefined;
    if (!this.#failed) {
      pending = await this.#call<WalStats>({ op: 'stats' }).then(
        (s) => s.pendingCount,
        () => undefined,
      );
      await this.#call({ op: 'close' }).catch(() => {});
    }
    await this.#worker.terminate();
    return { pending };
  }
}
