// The gateway's HTTP app, as a list of middleware and routes: request
// logging (request-log.ts), CORS (cors.ts), the ingest routes (routes.ts:
// refuse-when-busy.ts, then ingest-handler.ts and respond.ts), the settings
// routes, probes and metrics. Tests use app.request().
import { Hono } from 'hono';
import { readBoundedBody } from './body.ts';
import { type Env, fail } from './context.ts';
import { corsMiddleware } from './cors.ts';
import { requestLogging } from './request-log.ts';
import { registerIngestRoutes } from './routes.ts';
import { registerSettingsRoutes } from './settings-routes.ts';
import type { AppDeps } from './types.ts';

export type { AppDeps, AppendToWal, GatewayState, Limits, Refusal } from './types.ts';

export function createApp(deps: AppDeps): Hono<Env> {
  const app = new Hono<Env>();
  app.use('*', requestLogging(deps.logger, deps.metrics));
  app.use('*', corsMiddleware(deps.corsOrigins));

  registerIngestRoutes(app, deps);
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
