// The app's contracts with the rest of the gateway: its limits, what it asks
// the gateway's admission (refusal, readiness, liveness), and where accepted
// events go (the WAL) before the response.
import type { ErrorCode } from '@eventkit/shared/http';
import type { Logger } from '@eventkit/shared/logging';
import type { IpCapture } from '../ingest/enrich.ts';
import type { IngestResult } from '../ingest/ingest.ts';
import type { GatewayMetrics } from '../metrics.ts';
import type { LiveFeed } from './live/feed.ts';
import type { WriteKeys } from './write-keys.ts';

export interface Limits {
  maxEventBytes: number;
  maxRequestBytes: number;
  maxBatchEvents: number;
}

/** Why the gateway refuses new events right now (backlog, shutdown, WAL failure), if it does. */
export interface Refusal {
  status: 429 | 503;
  code: ErrorCode;
  message: string;
  /** Seconds, for Retry-After. */
  retryAfter: number;
}

export interface GatewayState {
  refusal(): Refusal | undefined;
  /** Readiness: undefined when ready, else why not. */
  notReady(): string | undefined;
  /**
   * Liveness: undefined while the process can do its job, else why it cannot
   * (the WAL thread died): /health then fails so the orchestrator restarts it.
   */
  unhealthy(): string | undefined;
}

/**
 * Appends a request's accepted events and dead letters to the WAL; the response
 * waits for it (2xx = durable). Rejects when the write failed.
 */
export type AppendToWal = (result: IngestResult, receivedAt: Date) => Promise<void>;

/** Server-side enrichment (EVENTKIT_TRUSTED_PROXY_HOPS, EVENTKIT_IP_CAPTURE). */
export interface Enrichment {
  trustedProxyHops: number;
  ipCapture: IpCapture;
}

export interface AppDeps {
  limits: Limits;
  corsOrigins: readonly string[];
  enrichment: Enrichment;
  /** GCP_PROJECT_ID, for the trace field of log lines (trace.ts); absent: no trace fields. */
  traceProject?: string | undefined;
  /** EVENTKIT_ADMIN_PORT: set, /metrics is on that listener only (admin-app.ts). */
  adminPort?: number | undefined;
  writeKeys: WriteKeys;
  appendToWal: AppendToWal;
  /**
   * The live events page (EVENTKIT_LIVE_EVENTS): the feed the ingest routes
   * record into, and the listener that serves /live (the admin one on the
   * gateway, the public one in eventkit-dev, which listens on loopback).
   */
  live?: { feed: LiveFeed; listener: 'public' | 'admin' } | undefined;
  state: GatewayState;
  logger: Logger;
  metrics: GatewayMetrics;
  renderMetrics: () => Promise<{ contentType: string; body: string }>;
}
