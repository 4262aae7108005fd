// An in-process queue implementing both queue ports.
//
// Memory is not durable, so "durably accepted" can only mean "handled": with
// `resolvePublishOn: 'ack'` (what the local all-in-one mode uses) publish()
// resolves only after a subscriber acked the message, i.e. after the worker
// durably wrote its events. The gateway marks a WAL row published only then,
// so a crash loses nothing that was acknowledged to a client.
import { randomUUID } from 'node:crypto';
import type {
  Disposition,
  FlowControl,
  MessageHandler,
  QueueMessage,
  QueuePublisher,
  QueueSubscriber,
} from '../../ports/queue.ts';

export interface MemoryQueueOptions {
  /** Messages held at once (ready, in flight, awaiting redelivery); publish() waits when full. */
  capacity?: number;
  /** When publish() resolves: on enqueue (like Pub/Sub) or once a handler acked (local mode). */
  resolvePublishOn?: 'enqueue' | 'ack';
  flowControl?: Partial<FlowControl>;
  /** Redelivery backoff after a nack: min × 2^(attempt−1), capped at max. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

interface Entry {
  id: string;
  data: Buffer;
  attributes: Record<string, string>;
  publishedAt: Date;
  attempts: number;
  settle?: { resolve: (id: string) => void; reject: (err: Error) => void };
}

export class QueueClosedError extends Error {
  constructor() {
    super('queue is closed');
    this.name = 'QueueClosedError';
  }
}

export class MemoryQueue implements QueuePublisher, QueueSubscriber {
  readonly #capacity: number;
  readonly #resolveOn: 'enqueue' | 'ack';
  #flow: FlowControl;
  readonly #minBackoffMs: number;
  readonly #maxBackoffMs: number;

  readonly #ready: Entry[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #capacityWaiters: (() => void)[] = [];
  readonly #idleWaiters: (() => void)[] = [];
  #held = 0;
  #inFlight = 0;
  #inFlightBytes = 0;
  #handler: MessageHandler | undefined;
  #closed = false;

  constructor(options: MemoryQueueOptions = {}) {
    this.#capacity = options.capacity ?? 10_000;
    this.#resolveOn = options.resolvePublishOn ?? 'enqueue';
    this.#flow = {
      maxMessages: options.flowControl?.maxMessages ?? 100,
      maxBytes: options.flowControl?.maxBytes ?? 100 * 1024 * 1024,
    };
    this.#minBackoffMs = options.minBackoffMs ?? 100;
    this.#maxBackoffMs = options.maxBackoffMs ?? 10_000;
  }

  /** Counts for metrics and the local status line. */
  stats(): { held: number; ready: number; inFlight: number; inFlightBytes: number } {
    return {
      held: this.#held,
      ready: this.#ready.length,
      inFlight: this.#inFlight,
      inFlightBytes: this.#inFlightBytes,
    };
  }

  async publish(data: Buffer, attributes: Record<string, string>): Promise<string> {
    while (this.#held >= this.#capacity && !this.#closed) {
      await new Promise<void>((resolve) => this.#capacityWaiters.push(resolve));
    }
    if (this.#closed) throw new QueueClosedError();
    const entry: Entry = {
      id: randomUUID(),
      data,
      attributes: { ...attributes },
      publishedAt: new Date(),
      attempts: 0,
    };
    this.#held++;
    const result =
      this.#resolveOn === 'ack'
        ? new Promise<string>((resolve, reject) => {
            entry.settle = { resolve, reject };
          })
        : Promise.resolve(entry.id);
    this.#ready.push(entry);
    this.#pump();
    return result;
  }

  /** A subscriber view with its own flow control (one consumer at a time). */
  subscriber(flow: FlowControl): QueueSubscriber {
    return {
      start: (handler) => {
        this.#flow = { ...flow };
        return this.start(handler);
      },
      stop: () => this.stop(),
    };
  }

  async start(handler: MessageHandler): Promise<void> {
    if (this.#closed) throw new QueueClosedError();
    this.#handler = handler;
    this.#pump();
  }

  async stop(): Promise<void> {
    this.#handler = undefined;
    while (this.#inFlight > 0) await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * Stops delivering, waits for handlers in flight, and rejects publishes still
   * waiting for an ack: their senders keep the data (the WAL row stays pending).
   */
  async close(): Promise<void> {
    this.#closed = true;
    await this.stop();
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const entry of this.#ready.splice(0)) entry.settle?.reject(new QueueClosedError());
    for (const wake of this.#capacityWaiters.splice(0)) wake();
  }

  #pump(): void {
    while (this.#handler && this.#ready.length > 0 && this.#inFlight < this.#flow.maxMessages) {
      const next = this.#ready[0]!;
      // Always let one message through, however large, or a big one would stall forever.
      if (this.#inFlight > 0 && this.#inFlightBytes + next.data.length > this.#flow.maxBytes) return;
      this.#ready.shift();
      void this.#deliver(next, this.#handler);
    }
  }

  async #deliver(entry: Entry, handler: MessageHandler): Promise<void> {
    this.#inFlight++;
    this.#inFlightBytes += entry.data.length;
    entry.attempts++;
    const message: QueueMessage = {
      id: entry.id,
      data: entry.data,
      attributes: entry.attributes,
      deliveryAttempt: entry.attempts,
      publishedAt: entry.publishedAt,
    };
    let disposition: Disposition;
    try {
      disposition = await handler(message);
    } catch {
      disposition = 'nack';
    }
    this.#inFlight--;
    this.#inFlightBytes -= entry.data.length;
    if (disposition === 'ack') {
      this.#held--;
      entry.settle?.resolve(entry.id);
      this.#capacityWaiters.shift()?.();
    } else {
      this.#scheduleRedelivery(entry);
    }
    if (this.#inFlight === 0) for (const wake of this.#idleWaiters.splice(0)) wake();
    this.#pump();
  }

  #scheduleRedelivery(entry: Entry): void {
    if (this.#closed) {
      entry.settle?.reject(new QueueClosedError());
      return;
    }
    const delay = Math.min(this.#maxBackoffMs, this.#minBackoffMs * 2 ** (entry.attempts - 1));
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#ready.push(entry);
      this.#pump();
    }, delay);
    this.#timers.add(timer);
  }
}
