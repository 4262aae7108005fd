// Per-partition buffers (the seed's EventLoader): events wait here until their
// partition is flushed to the sink, on size, bytes, age, pressure or shutdown.
//
// Bounded: a partition holds at most `maxBuffered` events (EVENTKIT_BUFFER_MAX_SIZE);
// an event that finds it full waits (its message stays in flight, and flow
// control stops the pulling) until a flush takes the buffer. One flush runs per
// partition at a time, so a partition holds at most 2 × maxBuffered events: one
// buffer being written, one filling.
import type { RoutedEvent } from '@eventkit/shared/event';
import { RetryAbortedError as AbortedError } from '@eventkit/shared/retry';
import type { MessageTracker } from './tracker.ts';

export interface Buffered {
  routed: RoutedEvent;
  /** Size of the event's JSON, counted against the byte limit. */
  bytes: number;
  tracker: MessageTracker;
}

/**
 * Why a partition was flushed: it reached the batch size or byte limit, its
 * oldest event reached the flush interval, the subscriber could not deliver
 * more until something is acked (pressure), or the worker is stopping.
 */
export type FlushTrigger = 'size' | 'bytes' | 'interval' | 'pressure' | 'shutdown';

export interface BatcherOptions {
  partitions: number;
  batchSize: number;
  batchBytes: number;
  flushIntervalMs: number;
  maxBuffered: number;
  /** Writes one partition's events; must settle their trackers and never reject. */
  flush: (partition: number, items: Buffered[], trigger: FlushTrigger) => Promise<void>;
  /** Called after every flush completes. */
  onFlushed?: () => void;
}

class Partition {
  items: Buffered[] = [];
  bytes = 0;
  timer: NodeJS.Timeout | undefined;
  running: Promise<void> | undefined;
  again: FlushTrigger | undefined;
  waiters: (() => void)[] = [];
}

export class Batcher {
  readonly #o: BatcherOptions;
  readonly #parts: Partition[];
  #closed = false;

  constructor(options: BatcherOptions) {
    this.#o = options;
    this.#parts = Array.from({ length: options.partitions }, () => new Partition());
  }

  /** Events buffered and not yet handed to a flush. */
  get buffered(): number {
    let n = 0;
    for (const p of this.#parts) n += p.items.length;
    return n;
  }

  get bufferedBytes(): number {
    let n = 0;
    for (const p of this.#parts) n += p.bytes;
    return n;
  }

  /** Flushes running now. */
  get flushing(): number {
    return this.#parts.filter((p) => p.running).length;
  }

  /** Adds the event unless its partition is full (then: waitForSpace, and try again). */
  tryAdd(partition: number, item: Buffered): boolean {
    const part = this.#part(partition);
    if (part.items.length >= this.#o.maxBuffered) {
      // Full: make sure a flush is on its way (it is, unless the limits disagree).
      this.flush(partition, 'size');
      return false;
    }
    part.items.push(item);
    part.bytes += item.bytes;
    if (part.items.length >= this.#o.batchSize) this.flush(partition, 'size');
    else if (part.bytes >= this.#o.batchBytes) this.flush(partition, 'bytes');
    else if (!part.timer && !part.running && !this.#closed) this.#startTimer(partition, part);
    return true;
  }

  /** Resolves when the partition has room again; rejects with AbortedError when `signal` aborts. */
  waitForSpace(partition: number, signal: AbortSignal): Promise<void> {
    const part = this.#part(partition);
    if (part.items.length < this.#o.maxBuffered) return Promise.resolve();
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(new AbortedError());
      const onAbort = () => reject(new AbortedError());
      signal.addEventListener('abort', onAbort, { once: true });
      part.waiters.push(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  /** Starts a flush of the partition now (or right after the one running). */
  flush(partition: number, trigger: FlushTrigger): void {
    const part = this.#part(partition);
    if (part.items.length === 0) return;
    if (part.running) {
      part.again ??= trigger;
      return;
    }
    clearTimeout(part.timer);
    part.timer = undefined;
    const items = part.items;
    part.items = [];
    part.bytes = 0;
    for (const wake of part.waiters.splice(0)) wake();
    part.running = this.#o.flush(partition, items, trigger).finally(() => {
      part.running = undefined;
      const again = part.again;
      part.again = undefined;
      if (part.items.length > 0) {
        if (again) this.flush(partition, again);
        else if (part.items.length >= this.#o.batchSize) this.flush(partition, 'size');
        else if (part.bytes >= this.#o.batchBytes) this.flush(partition, 'bytes');
        else if (!this.#closed) this.#startTimer(partition, part);
      }
      this.#o.onFlushed?.();
    });
  }

  /** Flushes every partition holding events. */
  flushAll(trigger: FlushTrigger): void {
    for (let p = 0; p < this.#parts.length; p++) this.flush(p, trigger);
  }

  /** Resolves once no flush runs and nothing is buffered (flushing what is left). */
  async drain(trigger: FlushTrigger = 'shutdown'): Promise<void> {
    for (;;) {
      this.flushAll(trigger);
      const running = this.#parts.map((p) => p.running).filter((r) => r !== undefined);
      if (running.length === 0 && this.buffered === 0) return;
      await Promise.all(running);
    }
  }

  /** Removes and returns every buffered event (the worker fails their messages when it gives up). */
  takeAll(): Buffered[] {
    const out: Buffered[] = [];
    for (const part of this.#parts) {
      clearTimeout(part.timer);
      part.timer = undefined;
      out.push(...part.items);
      part.items = [];
      part.bytes = 0;
      for (const wake of part.waiters.splice(0)) wake();
    }
    return out;
  }

  /** Stops the interval timers (nothing is flushed by time any more). */
  close(): void {
    this.#closed = true;
    for (const part of this.#parts) {
      clearTimeout(part.timer);
      part.timer = undefined;
    }
  }

  #part(partition: number): Partition {
    const part = this.#parts[partition];
    if (!part) throw new RangeError(`partition ${partition} out of range`);
    return part;
  }

  #startTimer(partition: number, part: Partition): void {
    part.timer = setTimeout(() => {
      part.timer = undefined;
      this.flush(partition, 'interval');
    }, this.#o.flushIntervalMs);
    part.timer.unref();
  }
}
