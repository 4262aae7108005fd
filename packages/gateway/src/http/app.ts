// The gateway's HTTP app, as a list of middleware and routes: request
// logging (request-log.ts), CORS (cors.ts), the ingest routes (routes.ts:
// refuse-when-busy.ts, then ingest-handler.ts and respond.ts), the settings
// routes, probes and metrics (probes.ts). Tests use app.request().
import { Hono } from 'hono';
import { readBoundedBody } from './body.ts';
import { type Env, fail } from './context.ts';
import { corsMiddleware } from './cors.ts';
import { liveRoutes } from './live/routes.ts';
import { registerMetrics, registerProbes } from './probes.ts';
import { requestLogging } from './request-log.ts';
import { registerIngestRoutes } from './routes.ts';
import { registerSettingsRoutes } from './settings-routes.ts';
import type { AppDeps } from './types.ts';

export type { AppDeps, AppendToWal, GatewayState, Limits, Refusal } from './types.ts';

export function createApp(deps: AppDeps): Hono<Env> {
  const app = new Hono<Env>();
  app.use('*', requestLogging(deps.logger, deps.metrics, deps.traceProject));
  app.use('*', corsMiddleware(deps.corsOrigins));

  registerIngestRoutes(app, deps);
  // analytics.js client metrics: accepted and discarded (bounded, never parsed).
  app.post('/v1/m', async (c) => {
    await readBoundedBody(c.req.raw, deps.limits.maxRequestBytes, c.env?.incoming).catch(() => undefined);
    return c.json({ success: true }, 200);
  });
  registerSettingsRoutes(app, deps.writeKeys);

  registerProbes(app, deps);
  // With an admin port, /metrics is served there only (admin-app.ts).
  if (!deps.adminPort) registerMetrics(app, deps);
  if (deps.live?.listener === 'public') app.route('/', liveRoutes(deps.live.feed));

  app.notFound((c) => fail(c, 'not_found', `no route for ${c.req.method} ${c.req.path}`));
  app.onError((err, c) => {
    c.get('log')?.error({ err }, 'request_failed');
    return fail(c, 'internal', 'internal error; the request was not accepted, retry it');
  });
  return app;
}
