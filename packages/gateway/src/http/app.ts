// The gateway's HTTP app: thin handlers that parse, call the ingest core and
// map its result to what each client family expects. Tests use app.request().
import type { IncomingMessage } from 'node:http';
import {
  type ErrorCode,
  type EventType,
  errorBody,
  errorStatus,
  isJsonObject,
  isValidStreamName,
  type Logger,
  requestLogger,
  STREAM_NAME_RULE,
} from '@eventkit/shared';
import { type Context, Hono } from 'hono';
import { type IngestResult, ingest, type StreamRule } from '../ingest/ingest.ts';
import type { GatewayMetrics } from '../metrics.ts';
import { BodyError, decodeJsonBody, readBoundedBody } from './body.ts';
import { corsMiddleware } from './cors.ts';
import { requestIdFrom } from './request-id.ts';
import { registerSettingsRoutes } from './settings-routes.ts';
import { basicAuthUser, type WriteKeys } from './write-keys.ts';

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

/** Where accepted events and dead letters go before the response (the WAL). Rejects on failure. */
export interface AcceptSink {
  accept(result: IngestResult, receivedAt: Date): Promise<void>;
}

export interface AppDeps {
  limits: Limits;
  corsOrigins: readonly string[];
  writeKeys: WriteKeys;
  sink: AcceptSink;
  state: GatewayState;
  logger: Logger;
  metrics: GatewayMetrics;
  renderMetrics: () => Promise<{ contentType: string; body: string }>;
}

type Vars = { requestId: string; log: Logger; stream?: string };
/** Under @hono/node-server, `c.env.incoming` is the Node request (absent in app.request() tests). */
type Env = { Variables: Vars; Bindings: { incoming?: IncomingMessage } };

type RouteKind =
  /** One event per request: /v1/track, /v1/t, ... */
  | { kind: 'single'; impliedType: EventType }
  /** `{batch: [...]}`: /v1/batch, /v1/b, /beacon/v1/batch */
  | { kind: 'batch' }
  /** One event or an array: /collect[/:stream] */
  | { kind: 'collect' };

const SINGLE_ROUTES: [string[], EventType][] = [
  [['/v1/track', '/v1/t'], 'track'],
  [['/v1/identify', '/v1/i'], 'identify'],
  [['/v1/page', '/v1/p'], 'page'],
  [['/v1/screen', '/v1/s'], 'screen'],
  [['/v1/group', '/v1/g'], 'group'],
  [['/v1/alias', '/v1/a'], 'alias'],
];
const BATCH_ROUTES = ['/v1/batch', '/v1/b', '/beacon/v1/batch'];

export function createApp(deps: AppDeps): Hono<Env> {
  const app = new Hono<Env>();

  // Logging first, so preflights (half of a browser's requests) are logged,
  // counted and carry an X-Request-Id like any other request.
  app.use('*', async (c, next) => {
    const started = performance.now();
    const requestId = requestIdFrom(c.req.header('x-request-id'));
    const log = requestLogger(deps.logger, { requestId });
    c.set('requestId', requestId);
    c.set('log', log);
    c.header('X-Request-Id', requestId);
    log.debug({ method: c.req.method, path: c.req.path }, 'request_received');
    await next();
    const route = c.req.routePath || 'unmatched';
    const durationMs = performance.now() - started;
    deps.metrics.requests.inc({ route, status: String(c.res.status) });
    deps.metrics.requestDuration.observe({ route }, durationMs / 1000);
    log.info(
      {
        method: c.req.method,
        path: c.req.path,
        status_code: c.res.status,
        duration_ms: Math.round(durationMs * 100) / 100,
        ...(c.get('stream') ? { stream: c.get('stream') } : {}),
      },
      'request_completed',
    );
  });
  app.use('*', corsMiddleware(deps.corsOrigins));

  const ingestRoute = (route: RouteKind, streamOf: (c: Context<Env>) => StreamRule | string) => {
    return async (c: Context<Env>) => {
      const rule = streamOf(c);
      if (typeof rule === 'string') return fail(c, 'bad_request', rule);
      return handleIngest(c, deps, route, rule);
    };
  };

  app.post(
    '/collect',
    ingestRoute({ kind: 'collect' }, () => ({ kind: 'fixed', stream: 'default' })),
  );
  app.post(
    '/collect/:stream',
    ingestRoute({ kind: 'collect' }, (c) => {
      const stream: string = c.req.param('stream') ?? '';
      if (isValidStreamName(stream)) return { kind: 'fixed', stream };
      return `stream name "${String(stream).slice(0, 80)}" is not valid: ${STREAM_NAME_RULE}`;
    }),
  );
  for (const [paths, type] of SINGLE_ROUTES) {
    for (const path of paths) {
      app.post(
        path,
        ingestRoute({ kind: 'single', impliedType: type }, () => ({ kind: 'by-type' })),
      );
    }
  }
  for (const path of BATCH_ROUTES) {
    app.post(
      path,
      ingestRoute({ kind: 'batch' }, () => ({ kind: 'by-type' })),
    );
  }
  // analytics.js client metrics: accepted and discarded (bounded, never parsed).
  app.post('/v1/m', async (c) => {
    await readBoundedBody(c.req.raw, deps.limits.maxRequestBytes, c.env?.incoming).catch(() => undefined);
    return c.json({ success: true }, 200);
  });

  registerSettingsRoutes(app, deps.writeKeys);

  app.get('/health', (c) => {
    const why = deps.state.unhealthy();
    return why ? c.json({ status: 'unhealthy', reason: why }, 503) : c.json({ status: 'ok' }, 200);
  });
  app.get('/ready', (c) => {
    const why = deps.state.notReady();
    return why ? c.json({ status: 'not_ready', reason: why }, 503) : c.json({ status: 'ready' }, 200);
  });
  app.get('/metrics', async (c) => {
    const { contentType, body } = await deps.renderMetrics();
    return c.body(body, 200, { 'Content-Type': contentType });
  });

  app.notFound((c) => fail(c, 'not_found', `no route for ${c.req.method} ${c.req.path}`));
  app.onError((err, c) => {
    c.get('log')?.error({ err }, 'request_failed');
    return fail(c, 'internal', 'internal error; the request was not accepted, retry it');
  });
  return app;
}

function fail(c: Context<Env>, code: ErrorCode, message: string, extra: Record<string, unknown> = {}) {
  return c.json({ ...errorBody(code, message, c.get('requestId') ?? ''), ...extra }, errorStatus(code));
}

async function handleIngest(c: Context<Env>, deps: AppDeps, route: RouteKind, rule: StreamRule) {
  const receivedAt = new Date();
  if (rule.kind === 'fixed') c.set('stream', rule.stream);

  // Refuse before reading the body: a backlog or a shutdown must cost clients little.
  const refusal = deps.state.refusal();
  if (refusal) {
    c.header('Retry-After', String(refusal.retryAfter));
    c.header('X-RateLimit-Reset', String(Math.ceil(Date.now() / 1000) + refusal.retryAfter));
    return c.json(errorBody(refusal.code, refusal.message, c.get('requestId')), refusal.status);
  }

  let value: unknown;
  try {
    const raw = await readBoundedBody(c.req.raw, deps.limits.maxRequestBytes, c.env?.incoming);
    value = await decodeJsonBody(raw, c.req.header('content-encoding') ?? null, deps.limits.maxRequestBytes);
  } catch (err) {
    if (err instanceof BodyError) return fail(c, err.code, err.message);
    throw err;
  }

  const parsed = itemsOf(value, route);
  if (typeof parsed === 'string') return fail(c, 'bad_request', parsed);
  if (parsed.items.length > deps.limits.maxBatchEvents) {
    return fail(
      c,
      'too_many_events',
      `the request has ${parsed.items.length} events, over the ${deps.limits.maxBatchEvents}-event limit (EVENTKIT_MAX_BATCH_EVENTS)`,
    );
  }

  const key = deps.writeKeys.resolve([
    basicAuthUser(c.req.header('authorization')),
    isJsonObject(value) && typeof value.writeKey === 'string' ? value.writeKey : undefined,
    c.req.query('writeKey'),
  ]);
  if (!key.ok) return fail(c, 'unauthorized', key.message);

  const result = ingest({
    items: parsed.items,
    rule,
    ...(route.kind === 'single' ? { impliedType: route.impliedType } : {}),
    ...(parsed.batch ? { batch: parsed.batch } : {}),
    source: key.source,
    requestId: c.get('requestId'),
    receivedAt,
    maxEventBytes: deps.limits.maxEventBytes,
  });

  try {
    await deps.sink.accept(result, receivedAt);
  } catch (err) {
    c.get('log').fatal({ err }, 'wal_write_failed');
    c.header('Retry-After', '5');
    return fail(
      c,
      'unavailable',
      'the gateway could not store the events; nothing was accepted, retry later',
    );
  }
  deps.metrics.eventsAccepted.inc(result.accepted.length);
  for (const r of result.rejected) deps.metrics.eventsRejected.inc({ code: r.code });

  const rejected = result.rejected.length > 0 ? { rejected: result.rejected } : {};
  if (result.accepted.length === 0 && result.rejected.length > 0) {
    const only = result.rejected.length === 1 ? result.rejected[0] : undefined;
    if (route.kind === 'single' && only?.code === 'event_too_large') {
      return fail(c, 'payload_too_large', only.message, rejected);
    }
    const message =
      result.rejected.length === 1
        ? `the event was not accepted: ${result.rejected[0]?.message}`
        : `none of the ${result.rejected.length} events was accepted; see "rejected"`;
    return fail(c, 'validation_failed', message, rejected);
  }
  return route.kind === 'collect'
    ? c.json({ status: 'accepted', ...rejected }, 202)
    : c.json({ success: true, ...rejected }, 200);
}

interface Parsed {
  items: readonly unknown[];
  batch?: { context?: unknown; integrations?: unknown; sentAt?: unknown };
}

function itemsOf(value: unknown, route: RouteKind): Parsed | string {
  switch (route.kind) {
    case 'collect':
      if (Array.isArray(value)) return { items: value };
      if (isJsonObject(value)) return { items: [value] };
      return 'expected an event object or an array of events';
    case 'single':
      if (isJsonObject(value)) return { items: [value] };
      return 'expected one event object';
    case 'batch':
      if (Array.isArray(value)) return { items: value };
      if (isJsonObject(value) && Array.isArray(value.batch)) {
        return {
          items: value.batch,
          batch: { context: value.context, integrations: value.integrations, sentAt: value.sentAt },
        };
      }
      return 'expected {"batch": [events...]}';
  }
}
