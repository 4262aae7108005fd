// The WAL relay: moves pending WAL rows to the queue (Pub/Sub, or the
// in-process queue of the local mode), which it publishes to through a
// QueuePublisher.
//
// Rows are read in id order and grouped into envelopes of one stream each (up
// to `batchSize` events and `maxEnvelopeBytes` of JSON), several publishes in
// flight. A row is marked published only after the queue confirmed the
// envelope that carries it; a failed publish is retried with exponential
// backoff and full jitter until it succeeds or the relay is stopped. None
// of this runs on the HTTP path: the handlers only append to the WAL.
//
// Crash safety: marking happens after confirmation, so a crash between the
// two republishes the envelope on the next start (at-least-once; duplicates
// are removed downstream by (source, messageId)). Nothing is lost.
import {
  DEAD_LETTER_STREAM,
  EnvelopeError,
  encodeRawEnvelope,
  type RawEnvelopeItem,
} from '@eventkit/shared/envelope';
import { type DeadLetter, deadLetterId } from '@eventkit/shared/event';
import type { Logger } from '@eventkit/shared/logging';
import type { QueuePublisher } from '@eventkit/shared/ports';
import { RetryAbortedError, retryForever } from '@eventkit/shared/retry';
import type { GatewayMetrics } from '../metrics.ts';
import type { WalRow } from '../wal/store.ts';
import type { WriteAheadLog } from '../wal/wal.ts';
import { abortable } from './abortable.ts';

export interface WalRelayOptions {
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
  /** Idle poll interval, ms (EVENTKIT_RING_BUFFER_PUBLISHER_POLL_INTERVAL); appends also wake the relay. */
  pollIntervalMs: number;
  /** Backoff bounds for failed publishes, ms. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

/** A failing envelope's publish_failed lines are warnings on its 1st attempt and every this many; debug between. */
export const PUBLISH_FAILURE_LOG_EVERY = 10;

interface Envelope {
  stream: string;
  rows: WalRow[];
  bytes: number;
}

export class WalRelay {
  readonly #o: Required<Omit<WalRelayOptions, 'metrics'>> & { metrics?: GatewayMetrics };
  #cursor = 0;
  #inFlight = 0;
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #slotFreed: (() => void) | undefined;
  readonly #abort = new AbortController();
  #lastError: string | undefined;

  constructor(options: WalRelayOptions) {
    this.#o = {
      maxEnvelopeBytes: 4 * 1024 * 1024,
      maxInFlight: 4,
      minBackoffMs: 100,
      // A publish retried every few seconds at most costs nothing while the
      // queue is down, and resends within seconds once it is back.
      maxBackoffMs: 5_000,
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

  /** Wakes an idle relay: new rows are in the WAL. */
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
    if (!this.#abort.signal.aborted) this.#abort.abort(new Error('relay stopped'));
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

  /**
   * Publishes one envelope, retrying until the queue takes it or shutdown.
   * A permanent refusal (the envelope is too large for a message, or the
   * queue calls it invalid) is never retried as it is: the envelope is split
   * in halves until one event is left, and that event goes to the dead-letter
   * stream with the reason, so nothing spins for ever or holds a slot.
   */
  async #publish(envelope: Envelope): Promise<void> {
    const { outcome, why } = await this.#send(envelope.stream, envelope.rows.map(rawItemOf));
    if (outcome === 'aborted') return; // the rows stay pending in the WAL for the next start
    if (outcome === 'refused' && envelope.rows.length > 1) {
      const half = Math.ceil(envelope.rows.length / 2);
      for (const rows of [envelope.rows.slice(0, half), envelope.rows.slice(half)]) {
        await this.#publish({ stream: envelope.stream, rows, bytes: rows.reduce((n, r) => n + r.bytes, 0) });
      }
      return;
    }
    if (outcome === 'refused') {
      const row = envelope.rows[0]!;
      const letter = refusedLetter(row, why ?? 'refused by the queue');
      const { outcome: sent } = await this.#send(DEAD_LETTER_STREAM, [
        { source: row.source, requestId: row.requestId, type: 'dead_letter', json: JSON.stringify(letter) },
      ]);
      if (sent !== 'published') return; // aborted (a dead letter is never refused): pending for the next start
      this.#o.metrics?.publishRefused.inc();
      this.#o.logger.error(
        { stream: row.stream, bytes: row.bytes, dead_letter_id: letter.id, reason: why },
        'publish_refused_dead_lettered',
      );
    } else {
      this.#o.metrics?.eventsPublished.inc(envelope.rows.length);
    }
    await this.#mark(envelope.rows);
  }

  async #send(
    stream: string,
    items: RawEnvelopeItem[],
  ): Promise<{ outcome: 'published' | 'refused' | 'aborted'; why?: string }> {
    const { queue, logger, metrics } = this.#o;
    try {
      await retryForever(
        async () => {
          const started = performance.now();
          const encoded = await encodeRawEnvelope(stream, items);
          // A publish can hang inside the client (its own retries, an unreachable
          // endpoint); the abort signal must still end the wait at shutdown.
          await abortable(() => queue.publish(encoded.data, encoded.attributes), this.#abort.signal);
          metrics?.publishDuration.observe((performance.now() - started) / 1000);
        },
        {
          signal: this.#abort.signal,
          minDelayMs: this.#o.minBackoffMs,
          maxDelayMs: this.#o.maxBackoffMs,
          isFatal: isPermanentRefusal,
          onRetry: (error, attempt, delayMs) => {
            this.#lastError = (error as Error).message;
            metrics?.publishFailures.inc();
            // An outage retries every envelope every few seconds: warn on its first failure
            // and every 10th, the rest at debug (the metric counts them all), so an hour of
            // outage is a few hundred lines, not thousands.
            const level = attempt === 1 || attempt % PUBLISH_FAILURE_LOG_EVERY === 0 ? 'warn' : 'debug';
            logger[level](
              { err: error, attempt, retry_in_ms: delayMs, stream, events: items.length },
              'publish_failed',
            );
          },
        },
      );
    } catch (err) {
      if (err instanceof RetryAbortedError) return { outcome: 'aborted' };
      logger.warn({ err, stream, events: items.length }, 'publish_refused');
      return { outcome: 'refused', why: (err as Error).message };
    }
    this.#lastError = undefined;
    return { outcome: 'published' };
  }

  /**
   * Marks rows published, retrying a failing WAL until it works or shutdown:
   * rows the queue has must not stay pending behind the cursor (they would be
   * published again only after a restart, and the pending gauges would stay
   * high). The counts change by exactly what the WAL changed.
   */
  async #mark(rows: readonly WalRow[]): Promise<void> {
    const ids = rows.map((r) => r.id);
    try {
      await retryForever(() => this.#o.wal.markPublished(ids), {
        signal: this.#abort.signal,
        minDelayMs: this.#o.minBackoffMs,
        maxDelayMs: this.#o.maxBackoffMs,
        onRetry: (err, attempt) =>
          this.#o.logger.error({ err, attempt, events: ids.length }, 'wal_mark_published_failed'),
      });
    } catch {
      // Shutdown: the rows stay pending and are published again on the next
      // start (the queue has them already; downstream deduplicates).
    }
  }
}

function rawItemOf(r: WalRow): RawEnvelopeItem {
  return { source: r.source, requestId: r.requestId, type: r.type, json: r.payload };
}

/**
 * Failures that the same envelope will always meet again: too large to be one
 * message (EnvelopeError too_large), or refused as invalid by the queue
 * (gRPC INVALID_ARGUMENT, which Pub/Sub answers for an oversized request).
 */
export function isPermanentRefusal(err: unknown): boolean {
  if (err instanceof EnvelopeError) return err.code === 'too_large';
  return (err as { code?: unknown })?.code === GRPC_INVALID_ARGUMENT;
}
const GRPC_INVALID_ARGUMENT = 3;

/** Largest event kept whole in a refusal's dead letter; a larger one keeps its first bytes (base64, `raw`). */
export const REFUSED_PAYLOAD_BYTES = 256 * 1024;

/** The dead letter of an event the queue refuses for good. */
export function refusedLetter(row: WalRow, why: string): DeadLetter {
  let event: Record<string, unknown> | undefined;
  if (row.bytes <= REFUSED_PAYLOAD_BYTES) {
    try {
      event = JSON.parse(row.payload) as Record<string, unknown>;
    } catch {}
  }
  const messageId = event && typeof event.messageId === 'string' ? event.messageId : `wal-row-${row.id}`;
  const reason = {
    code: 'publish_refused',
    message: `the queue refused this event (${row.bytes} bytes) for good: ${why.slice(0, 300)}`,
  };
  return {
    id: deadLetterId('processing', row.source, messageId, reason.code),
    errorType: 'processing',
    reasons: [reason],
    failedAt: new Date().toISOString(),
    stream: row.stream,
    source: row.source,
    requestId: row.requestId,
    receivedAt: new Date(row.receivedAt).toISOString(),
    messageId,
    ...(event
      ? { payload: event }
      : { raw: Buffer.from(row.payload, 'utf8').subarray(0, REFUSED_PAYLOAD_BYTES).toString('base64') }),
  };
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
