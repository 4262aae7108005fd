// Request logging and metrics as middleware, first in the chain so that
// preflights (half of a browser's requests) are logged, counted and carry an
// X-Request-Id like any other request.
import { type Logger, requestLogger } from '@eventkit/shared/logging';
import type { MiddlewareHandler } from 'hono';
import type { GatewayMetrics } from '../metrics.ts';
import type { Env } from './context.ts';
import { PROBE_PATHS } from './probes.ts';
import { requestIdFrom } from './request-id.ts';
import { traceFields } from './trace.ts';

export function requestLogging(
  logger: Logger,
  metrics: GatewayMetrics,
  traceProject?: string,
): MiddlewareHandler<Env> {
  return async (c, next) => {
    const started = performance.now();
    const requestId = requestIdFrom(c.req.header('x-request-id'));
    const trace = traceFields(
      c.req.header('traceparent'),
      c.req.header('x-cloud-trace-context'),
      traceProject,
    );
    const base = requestLogger(logger, { requestId });
    const log = Object.keys(trace).length > 0 ? base.child(trace) : base;
    c.set('requestId', requestId);
    c.set('log', log);
    c.header('X-Request-Id', requestId);
    log.debug({ method: c.req.method, path: c.req.path }, 'request_received');
    await next();
    const route = c.req.routePath || 'unmatched';
    const durationMs = performance.now() - started;
    metrics.requests.inc({ route, status: String(c.res.status) });
    metrics.requestDuration.observe({ route }, durationMs / 1000);
    // A probe or a scrape every few seconds is noise at info; one that fails is not.
    const quiet = c.req.method === 'GET' && PROBE_PATHS.has(c.req.path) && c.res.status < 400;
    log[quiet ? 'debug' : 'info'](
      {
        method: c.req.method,
        path: c.req.path,
        status_code: c.res.status,
        duration_ms: Math.round(durationMs * 100) / 100,
        ...(c.get('stream') ? { stream: c.get('stream') } : {}),
        // Cloud Logging shows these as the entry's request (no query string: it may hold a write key).
        httpRequest: {
          requestMethod: c.req.method,
          requestUrl: c.req.path,
          status: c.res.status,
          latency: `${(durationMs / 1000).toFixed(6)}s`,
          protocol: c.env?.incoming ? `HTTP/${c.env.incoming.httpVersion}` : undefined,
        },
      },
      'request_completed',
    );
  };
}
