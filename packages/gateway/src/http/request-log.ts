// Request logging and metrics as middleware, first in the chain so that
// preflights (half of a browser's requests) are logged, counted and carry an
// X-Request-Id like any other request.
import { type Logger, requestLogger } from '@eventkit/shared/logging';
import type { MiddlewareHandler } from 'hono';
import type { GatewayMetrics } from '../metrics.ts';
import type { Env } from './context.ts';
import { PROBE_PATHS } from './probes.ts';
import { requestIdFrom } from './request-id.ts';

export function requestLogging(logger: Logger, metrics: GatewayMetrics): MiddlewareHandler<Env> {
  return async (c, next) => {
    const started = performance.now();
    const requestId = requestIdFrom(c.req.header('x-request-id'));
    const log = requestLogger(logger, { requestId });
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
      },
      'request_completed',
    );
  };
}
