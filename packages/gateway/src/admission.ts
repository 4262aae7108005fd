// Whether the gateway takes events now, and what its probes answer: the one
// place that decides 429 / 503, /ready and /health (http/app.ts asks it).
//   refusal   shutting down or the WAL thread dead → 503; backlog over its
//             high-water mark → 429 with Retry-After
//   notReady  shutting down, the WAL thread dead, the production start-up
//             checks not passed yet (startup-checks.ts), or for
//             WRITE_FAILURE_NOT_READY_MS after a failed WAL write: "cannot
//             accept into the WAL". Not the backlog: in a Pub/Sub outage every
//             gateway passes its mark at about the same time, and unready
//             gateways make the load balancer answer 502 to everyone, where
//             the gateway's own 429 tells clients to retry after 10 s.
//   unhealthy only the dead WAL thread: a restart is the cure
import type { GatewayState, Refusal } from './http/app.ts';
import type { GatewaySettings } from './settings.ts';
import type { WriteAheadLog } from './wal/wal.ts';

/** Seconds a client is asked to wait when the WAL backlog is over its high-water mark. */
export const BACKLOG_RETRY_AFTER = 10;

/**
 * After a WAL write fails (a full disk, an I/O error: the thread lives on and
 * a later write may succeed), /ready answers 503 this long, so a load
 * balancer sends traffic to the gateways that can take it; then it is ready
 * again and the next write tries the disk anew. /health stays 200: a restart
 * does not free a disk.
 */
export const WRITE_FAILURE_NOT_READY_MS = 5_000;

export type AdmissionSettings = Pick<GatewaySettings, 'walMaxPendingEvents' | 'walMaxPendingBytes'>;

export class Admission implements GatewayState {
  readonly #wal: WriteAheadLog;
  readonly #settings: AdmissionSettings;
  #shuttingDown = false;
  #lastWriteFailure: { at: number; message: string } | undefined;
  #startupProblem: string | undefined;

  constructor(wal: WriteAheadLog, settings: AdmissionSettings) {
    this.#wal = wal;
    this.#settings = settings;
  }

  /** From now on new events get 503 and /ready fails (SIGTERM, shutdown). */
  beginShutdown(): void {
    this.#shuttingDown = true;
  }

  /** While set, /ready fails with it: the production start-up checks have not passed yet. */
  holdReady(reason: string | undefined): void {
    this.#startupProblem = reason;
  }

  writeFailed(err: unknown): void {
    this.#lastWriteFailure = { at: Date.now(), message: (err as Error).message };
  }

  writeSucceeded(): void {
    this.#lastWriteFailure = undefined;
  }

  refusal(): Refusal | undefined {
    if (this.#shuttingDown)
      return { status: 503, code: 'unavailable', message: 'the gateway is shutting down', retryAfter: 2 };
    if (!this.#wal.healthy)
      return { status: 503, code: 'unavailable', message: 'the WAL is not writable', retryAfter: 5 };
    const why = this.#backlog();
    return why
      ? { status: 429, code: 'rate_limited', message: why, retryAfter: BACKLOG_RETRY_AFTER }
      : undefined;
  }

  notReady(): string | undefined {
    if (this.#shuttingDown) return 'the gateway is shutting down';
    if (!this.#wal.healthy) return 'the WAL is not writable';
    return this.#startupProblem ?? this.#writeFailing();
  }

  unhealthy(): string | undefined {
    const failure = this.#wal.failure;
    return failure
      ? `the WAL failed and nothing can be accepted or published: ${failure.message}`
      : undefined;
  }

  #writeFailing(): string | undefined {
    const f = this.#lastWriteFailure;
    if (!f || Date.now() - f.at >= WRITE_FAILURE_NOT_READY_MS) return undefined;
    return `the last WAL write failed ${Date.now() - f.at} ms ago: ${f.message}`;
  }

  #backlog(): string | undefined {
    const { walMaxPendingEvents, walMaxPendingBytes } = this.#settings;
    if (this.#wal.pendingCount >= walMaxPendingEvents) {
      return `the WAL holds ${this.#wal.pendingCount} unpublished events, at its high-water mark (EVENTKIT_WAL_MAX_PENDING_EVENTS=${walMaxPendingEvents})`;
    }
    if (this.#wal.pendingBytes >= walMaxPendingBytes) {
      return `the WAL holds ${this.#wal.pendingBytes} unpublished bytes, at its high-water mark (EVENTKIT_WAL_MAX_PENDING_BYTES=${walMaxPendingBytes})`;
    }
    return undefined;
  }
}
