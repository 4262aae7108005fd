// The admin listener's app (EVENTKIT_ADMIN_PORT): /metrics, /health and /ready,
// and the live events page when EVENTKIT_LIVE_EVENTS is on; nothing that takes
// events, so the port can stay inside the cluster while the public one faces
// the internet.
import { Hono } from 'hono';
import { type Env, fail } from './context.ts';
import { LIVE_PATH, liveRoutes } from './live/routes.ts';
import { registerMetrics, registerProbes } from './probes.ts';
import { requestLogging } from './request-log.ts';
import type { AppDeps } from './types.ts';

export function createAdminApp(
  deps: Pick<AppDeps, 'state' | 'renderMetrics' | 'logger' | 'metrics' | 'live'>,
): Hono<Env> {
  const app = new Hono<Env>();
  app.use('*', requestLogging(deps.logger, deps.metrics));
  registerProbes(app, deps);
  registerMetrics(app, deps);
  const live = deps.live?.listener === 'admin' ? deps.live.feed : undefined;
  if (live) app.route('/', liveRoutes(live));
  const serves = live ? `/metrics, /health, /ready and ${LIVE_PATH}` : '/metrics, /health and /ready';
  app.notFound((c) => fail(c, 'not_found', `the admin port serves ${serves}, not ${c.req.path}`));
  return app;
}
