// The admin listener's app (EVENTKIT_ADMIN_PORT): /metrics, /health and /ready,
// nothing that takes events, so the port can stay inside the cluster while the
// public one faces the internet.
import { Hono } from 'hono';
import { type Env, fail } from './context.ts';
import { registerMetrics, registerProbes } from './probes.ts';
import { requestLogging } from './request-log.ts';
import type { AppDeps } from './types.ts';

export function createAdminApp(
  deps: Pick<AppDeps, 'state' | 'renderMetrics' | 'logger' | 'metrics'>,
): Hono<Env> {
  const app = new Hono<Env>();
  app.use('*', requestLogging(deps.logger, deps.metrics));
  registerProbes(app, deps);
  registerMetrics(app, deps);
  app.notFound((c) =>
    fail(c, 'not_found', `the admin port serves /metrics, /health and /ready, not ${c.req.path}`),
  );
  return app;
}
