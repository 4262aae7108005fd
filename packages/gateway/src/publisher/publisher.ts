// The publisher: moves pending WAL rows to the queue.
//
// Rows are read in id order and grouped into envelopes of one stream each (up
// to `batchSize` events and `maxEnvelopeBytes` of JSON), several publishes in
// flight. A row is marked published only after the queue confirmed the
// envelope that carries it; a failed publish is retried with exponential
// backoff and full jitter until it succeeds or the publisher is stopped. None
// of this runs on the HTTP path: the handlers only append to the WAL.
//
// Crash safety: marking happens after confirmation, so a crash between the
// two republishes the envelope on the next start (at-least-once; duplicates
// are removed downstream by (source, messageId)). Nothing is lost.
import {
  encodeRawEnvelope,
  type Logger,
  type QueuePublisher,
  type RawEnvelopeItem,
  RetryAbortedError,
  retryForever,
} from '@eventkit/shared';
import type { GatewayMetrics } from '../metrics.ts';
import type { WalRow } from '../wal/store.ts';
import type { WriteAheadLog } from '../wal/wal.ts';
import { abortable } from './abortable.ts';

export interface PublisherOptions {
  wal: WriteAheadLog;
  queue: QueuePublisher;
  logger: Logger;
  metrics?: GatewayMetrics;
  /** Events per envelope (EVENTKIT_RING_BUFFER_PUBLISHER_BATCH_SIZE). */
  batchSize: number;
  /** Uncompressed JSON bytes per envelope; well under Pub/Sub's 10 MB after compression. */
  maxEnvelopeBytes?: number;
  /** Envelopes being published at once. */
  maxInFlight?: number;
  /** Idle poll interval, ms (EVENTKIT_RING_BUFFER_PUBLISHER_POLL_INTERVAL); appends also wake the publisher. */
  pollIntervalMs: number;
  /** Backoff bounds for failed publishes, ms. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

interface Envelope {
  stream: string;
  rows: WalRow[];
  bytes: number;
}

export class Publisher {
  readonly #o: Required<Omit<PublisherOptions, 'metrics'>> & { metrics?: GatewayMetrics };
  #cursor = 0;
  #inFlight = 0;
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #slotFreed: (() => void) | undefined;
  readonly #abort = new AbortController();
  #lastError: string | undefined;

  constructor(options: PublisherOptions) {
    this.#o = {
      maxEnvelopeBytes: 4 * 1024 * 1024,
      maxInFlight: 4,
      minBackoffMs: 100,
      maxBackoffMs: 30_000,
      ...options,
    };
  }

  /** The last publish error, while publishing is failing (for /ready and logs). */
  get lastError(): string | undefined {
    return this.#lastError;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Wakes an idle publisher: new rows are in the WAL. */
  notify(): void {
    this.#wake?.();
  }

  /**
   * Publishes what is pending until the WAL has no pending rows or `deadline`
   * (epoch ms) passes, then stops. Envelopes still failing at the deadline are
   * abandoned: their rows stay pending in the WAL for the next start.
   */
  async drain(deadline: number): Promise<{ remaining: number }> {
    const timer = setTimeout(
      () => this.#abort.abort(new Error('shutdown deadline reached')),
      Math.max(0, deadline - Date.now()),
    );
    try {
      while (Date.now() < deadline && !this.#abort.signal.aborted) {
        if (this.#o.wal.pendingCount === 0 && this.#inFlight === 0) break;
        this.notify();
        await sleep(20);
      }
    } finally {
      clearTimeout(timer);
    }
    await this.stop();
    return { remaining: this.#o.wal.pendingCount };
  }

  /** Stops reading new rows, aborts retries, and waits for publishes in flight to settle. */
  async stop(): Promise<void> {
    this.#running = false;
    if (!this.#abort.signal.aborted) this.#abort.abort(new Error('publisher stopped'));
    this.notify();
    this.#slotFreed?.();
    await this.#loop;
    while (this.#inFlight > 0) await new Promise<void>((r) => setTimeout(r, 5));
  }

  async #run(): Promise<void> {
    const { wal, batchSize, maxInFlight, maxEnvelopeBytes } = this.#o;
    while (this.#running) {
      let rows: WalRow[];
      try {
        rows = await wal.readPending(this.#cursor, batchSize * maxInFlight, maxEnvelopeBytes * maxInFlight);
      } catch (err) {
        this.#o.logger.error({ err }, 'wal_read_failed');
        await this.#idle(1000);
        continue;
      }
      if (rows.length === 0) {
        await this.#idle(this.#o.pollIntervalMs);
        continue;
      }
      this.#cursor = rows.at(-1)!.id;
      for (const envelope of groupIntoEnvelopes(rows, batchSize, maxEnvelopeBytes)) {
        while (this.#inFlight >= maxInFlight && this.#running) {
          await new Promise<void>((r) => {
            this.#slotFreed = r;
          });
        }
        if (!this.#running) return;
        this.#inFlight++;
        void this.#publish(envelope).finally(() => {
          this.#inFlight--;
          this.#slotFreed?.();
        });
      }
    }
  }

  async #idle(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.#wake = undefined;
  }

  async #publish(envelope: Envelope): Promise<void> {
    const { queue, wal, logger, metrics } = this.#o;
    const items: RawEnvelopeItem[] = envelope.rows.map((r) => ({
      source: r.source,
      requestId: r.requestId,
      type: r.type,
      json: r.payload,
    }));
    try {
      await retryForever(
        async () => {
          const started = performance.now();
          const encoded = await encodeRawEnvelope(envelope.stream, items);
          // A publish can hang inside the client (its own retries, an unreachable
          // endpoint); the abort signal must still end the wait at shutdown.
          await abortable(() => queue.publish(encoded.data, encoded.attributes), this.#abort.signal);
          metrics?.publishDuration.observe((performance.now() - started) / 1000);
        },
        {
          signal: this.#abort.signal,
          minDelayMs: this.#o.minBackoffMs,
          maxDelayMs: this.#o.maxBackoffMs,
          onRetry: (error, attempt, delayMs) => {
            this.#lastError = (error as Error).message;
            metrics?.publishFailures.inc();
            logger.warn(
              { err: error, attempt, retry_in_ms: delayMs, stream: envelope.stream, events: items.length },
              'publish_failed',
            );
          },
        },
      );
    } catch (err) {
      // Only a shutdown ends the retries: the rows stay pending in the WAL for the next start.
      if (!(err instanceof RetryAbortedError)) logger.error({ err }, 'publish_abandoned');
      return;
    }
    this.#lastError = undefined;
    metrics?.eventsPublished.inc(items.length);
    try {
      await wal.markPublished(envelope.rows.map((r) => r.id));
    } catch (err) {
      // The queue has the events; they will be published again after a restart
      // and deduplicated downstream. Loud, because the WAL is failing.
      logger.error({ err, events: items.length }, 'wal_mark_published_failed');
    }
  }
}

/** Groups rows (id order) into per-stream envelopes bounded by count and bytes. */
export function groupIntoEnvelopes(rows: readonly WalRow[], batchSize: number, maxBytes: number): Envelope[] {
  const open = new Map<string, Envelope>();
  const done: Envelope[] = [];
  for (const row of rows) {
    const bytes = row.bytes;
    let env = open.get(row.stream);
    if (env && (env.rows.length >= batchSize || env.bytes + bytes > maxBytes)) {
      done.push(env);
      env = undefined;
    }
    if (!env) {
      env = { stream: row.stream, rows: [], bytes: 0 };
      open.set(row.stream, env);
    }
    env.rows.push(row);
    env.bytes += bytes;
  }
  done.push(...open.values());
  return done;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
