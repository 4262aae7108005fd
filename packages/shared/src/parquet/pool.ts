// A small pool of encoding threads with a bounded queue.
//
// Why threads: encoding is CPU work (string → UTF-8, dictionary, zstd) of
// tens of milliseconds per file; on the event loop it delayed acks, lease
// extensions and pulls (event-loop lag up to 0.7 s measured). In a thread it
// runs on the machine's other core while the loop decodes the next messages.
//
// Bounded: at most `maxQueued` jobs wait for a thread; encode() beyond that
// waits for room (the caller is a partition flush, and the batcher runs at
// most one per partition, so in the worker this bound is never the one that
// bites: it is there so that nothing here can grow without limit).
// `threads: 0` encodes on the calling thread (tools, and tests that count on
// one process).
import { Worker } from 'node:worker_threads';
import type { ThreadJob, ThreadResult } from './thread.ts';
import { type Columns, type Rejection, writeParquet } from './write.ts';

export type EncodeResult = { file: Uint8Array } | { rejected: Rejection[] };

interface Pending {
  job: ThreadJob;
  resolve: (r: EncodeResult) => void;
  reject: (err: Error) => void;
}

interface Slot {
  thread: Worker;
  busy: Pending | undefined;
}

const THREAD_URL = new URL('./thread.ts', import.meta.url);

export class EncoderPool {
  readonly #maxQueued: number;
  readonly #slots: Slot[] = [];
  readonly #queue: Pending[] = [];
  readonly #roomWaiters: (() => void)[] = [];
  #nextId = 0;
  #closed = false;

  constructor(options: { threads: number; maxQueued?: number }) {
    this.#maxQueued = options.maxQueued ?? 64;
    for (let i = 0; i < options.threads; i++) this.#slots.push(this.#spawn());
  }

  get threads(): number {
    return this.#slots.length;
  }

  async encode(columns: Columns): Promise<EncodeResult> {
    if (this.#closed) throw new Error('ParquetEncoder is closed');
    if (this.#slots.length === 0) return writeParquet(columns);
    while (this.#queue.length >= this.#maxQueued) {
      await new Promise<void>((resolve) => this.#roomWaiters.push(resolve));
      if (this.#closed) throw new Error('ParquetEncoder is closed');
    }
    return new Promise<EncodeResult>((resolve, reject) => {
      this.#queue.push({ job: { id: ++this.#nextId, columns }, resolve, reject });
      this.#dispatch();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const wake of this.#roomWaiters.splice(0)) wake();
    for (const p of this.#queue.splice(0)) p.reject(new Error('ParquetEncoder is closed'));
    await Promise.all(this.#slots.splice(0).map((s) => s.thread.terminate()));
  }

  #spawn(): Slot {
    const thread = new Worker(THREAD_URL);
    // An idle pool must not keep the process alive.
    thread.unref();
    const slot: Slot = { thread, busy: undefined };
    thread.on('message', (result: ThreadResult) => this.#done(slot, result));
    thread.on('error', (err) => this.#lost(slot, err));
    thread.on('exit', (code) => this.#lost(slot, new Error(`encoding thread exited (${code})`)));
    return slot;
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      if (slot.busy) continue;
      const next = this.#queue.shift();
      if (!next) return;
      this.#roomWaiters.shift()?.();
      slot.busy = next;
      slot.thread.ref();
      slot.thread.postMessage(next.job);
    }
  }

  #done(slot: Slot, result: ThreadResult): void {
    const pending = slot.busy;
    slot.busy = undefined;
    slot.thread.unref();
    if (pending && pending.job.id === result.id) {
      if ('error' in result) pending.reject(new Error(result.error));
      else pending.resolve(result);
    }
    this.#dispatch();
  }

  /** A thread died: fail its job (the flush is retried) and start another in its place. */
  #lost(slot: Slot, err: Error): void {
    const index = this.#slots.indexOf(slot);
    if (index === -1) return;
    slot.busy?.reject(err);
    slot.busy = undefined;
    if (this.#closed) return;
    this.#slots[index] = this.#spawn();
    this.#dispatch();
  }
}
