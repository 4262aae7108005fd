// The live feed: the last events in a bounded ring, and the SSE clients
// watching it. Fed from the ingest path after the WAL append, so its one rule
// is to cost ingestion nothing it can notice: record() is synchronous (no
// await, no I/O), does a bounded amount of work per event, never throws, and
// hands each client its entries through a bounded queue that the client's own
// SSE loop drains. A client that does not keep up (a stalled tab, a gone peer
// the socket has not noticed yet) overflows its queue and is dropped; its
// EventSource reconnects and asks for what it missed by Last-Event-ID.
import type { Logger } from '@eventkit/shared/logging';
import type { IngestResult } from '../../ingest/ingest.ts';
import { entriesOf, type LiveEntry, type LiveReason, type NewEntry, refusedRequest } from './entries.ts';

/** Entries the ring holds: a screenful and a scroll of history, a few MB at most with payloads. */
export const RING_CAPACITY = 500;
/**
 * Entries queued for one client before it is dropped: two rings' worth. A
 * client's loop normally empties its queue at every wake-up; one this far
 * behind is stuck on a full socket.
 */
export const CLIENT_QUEUE_LIMIT = 1000;
/** Pages watching at once: each holds a socket and a queue; this is a debugging page, not a broadcast service. */
export const MAX_CLIENTS = 8;

export interface LiveFeedOptions {
  /** Show payloads (EVENTKIT_LIVE_EVENTS_PAYLOADS). */
  payloads: boolean;
  capacity?: number;
  clientQueueLimit?: number;
  maxClients?: number;
  logger?: Logger;
}

export class LiveFeed {
  readonly payloads: boolean;
  readonly capacity: number;
  readonly maxClients: number;
  private readonly clientQueueLimit: number;
  private readonly ring: (LiveEntry | undefined)[];
  /** Where the next entry goes in the ring. */
  private head = 0;
  private seq = 0;
  private readonly clients = new Set<LiveClient>();
  private readonly logger: Logger | undefined;
  private failedOnce = false;
  private stopped = false;

  constructor(options: LiveFeedOptions) {
    this.payloads = options.payloads;
    this.capacity = options.capacity ?? RING_CAPACITY;
    this.clientQueueLimit = options.clientQueueLimit ?? CLIENT_QUEUE_LIMIT;
    this.maxClients = options.maxClients ?? MAX_CLIENTS;
    this.logger = options.logger;
    this.ring = new Array(this.capacity);
  }

  /** An ingest request's events, after the WAL append. Never throws: the request's answer does not depend on the page. */
  record(result: IngestResult, at: Date): void {
    this.guarded(() => {
      this.publish(entriesOf(result, at, this.payloads, this.capacity));
    });
  }

  /** A request refused as a whole, with the code and message its client got. */
  refused(
    at: Date,
    reason: LiveReason,
    where: { source?: string | undefined; stream?: string | undefined } = {},
  ): void {
    this.guarded(() => this.publish([refusedRequest(at, reason, where)]));
  }

  /** The ring's entries after `afterSeq` (all when absent), oldest first. */
  recent(afterSeq = 0): LiveEntry[] {
    const out: LiveEntry[] = [];
    for (let i = 0; i < this.capacity; i++) {
      const entry = this.ring[(this.head + i) % this.capacity];
      if (entry && entry.seq > afterSeq) out.push(entry);
    }
    return out;
  }

  /** A new client, or undefined when MAX_CLIENTS already watch or the feed was closed. */
  subscribe(): LiveClient | undefined {
    if (this.stopped || this.clients.size >= this.maxClients) return undefined;
    const client = new LiveClient(this.clientQueueLimit, (dropped) => {
      this.clients.delete(client);
      if (dropped) this.logger?.info({ queued: this.clientQueueLimit }, 'live_events_client_dropped');
    });
    this.clients.add(client);
    return client;
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** True once close() ran: the process is shutting down. */
  get closed(): boolean {
    return this.stopped;
  }

  /**
   * Ends every client's stream and takes no new ones. At shutdown: an open
   * stream would otherwise hold the listener's close() until the drain timed out.
   */
  close(): void {
    this.stopped = true;
    for (const client of [...this.clients]) client.hangUp();
  }

  private publish(entries: NewEntry[]): void {
    if (entries.length === 0) return;
    const numbered = entries.map((e) => ({ seq: ++this.seq, ...e }));
    for (const entry of numbered) {
      this.ring[this.head] = entry;
      this.head = (this.head + 1) % this.capacity;
    }
    for (const client of this.clients) client.push(numbered);
  }

  private guarded(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      // Once: a bug here must neither fail requests nor flood the log at the request rate.
      if (!this.failedOnce) this.logger?.warn({ err }, 'live_events_failed');
      this.failedOnce = true;
    }
  }
}

/** One SSE client's queue: filled by record(), drained by its own loop (routes.ts). */
export class LiveClient {
  private queue: LiveEntry[] = [];
  private wake: (() => void) | undefined;
  private state: 'open' | 'closed' | 'dropped' = 'open';
  /**
   * Called once when the server ends the client (it lagged, or the process is
   * shutting down): the route ends its stream and its connection, even in the
   * middle of a write that waits on a full socket.
   */
  onHangUp: (() => void) | undefined;

  private readonly limit: number;
  private readonly release: (dropped: boolean) => void;

  constructor(limit: number, release: (dropped: boolean) => void) {
    this.limit = limit;
    this.release = release;
  }

  /** True when the client was dropped for falling CLIENT_QUEUE_LIMIT entries behind. */
  get dropped(): boolean {
    return this.state === 'dropped';
  }

  get queued(): number {
    return this.queue.length;
  }

  push(entries: readonly LiveEntry[]): void {
    if (this.state !== 'open') return;
    if (this.queue.length + entries.length > this.limit) {
      this.end('dropped');
      this.onHangUp?.();
      return;
    }
    for (const e of entries) this.queue.push(e);
    this.wake?.();
  }

  /** What is queued, waiting up to `timeoutMs` for something; [] on timeout, null once closed or dropped. */
  next(timeoutMs: number): Promise<LiveEntry[] | null> {
    if (this.state !== 'open') return Promise.resolve(null);
    if (this.queue.length > 0) return Promise.resolve(this.take());
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve([]);
      }, timeoutMs);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve(this.state === 'open' ? this.take() : null);
      };
    });
  }

  /** The page went away: frees the slot. Idempotent. */
  close(): void {
    this.end('closed');
  }

  /** The server ends the client (shutdown). */
  hangUp(): void {
    if (this.state !== 'open') return;
    this.end('closed');
    this.onHangUp?.();
  }

  private take(): LiveEntry[] {
    const out = this.queue;
    this.queue = [];
    return out;
  }

  private end(state: 'closed' | 'dropped'): void {
    if (this.state !== 'open') return;
    this.state = state;
    this.queue = [];
    this.release(state === 'dropped');
    this.wake?.();
  }
}
