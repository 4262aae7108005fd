// The probes and the metrics page: on the public app, and on the admin app when
// EVENTKIT_ADMIN_PORT gives the gateway a second listener (admin-app.ts).
import type { Hono } from 'hono';
import type { Env } from './context.ts';
import type { AppDeps } from './types.ts';

type ProbeDeps = Pick<AppDeps, 'state' | 'renderMetrics'>;

export function registerProbes(app: Hono<Env>, deps: ProbeDeps): void {
  app.get('/health', (c) => {
    const why = deps.state.unhealthy();
    return why ? c.json({ status: 'unhealthy', reason: why }, 503) : c.json({ status: 'ok' }, 200);
  });
  app.get('/ready', (c) => {
    const why = deps.state.notReady();
    return why ? c.json({ status: 'not_ready', reason: why }, 503) : c.json({ status: 'ready' }, 200);
  });
}

export function registerMetrics(app: Hono<Env>, deps: ProbeDeps): void {
  app.get('/metrics', async (c) => {
    const { contentType, body } = await deps.renderMetrics();
    return c.body(body, 200, { 'Content-Type': contentType });
  });
}

/** Probe and scrape paths, logged at debug when they succeed (request-log.ts): a probe every few seconds is noise. */
export const PROBE_PATHS: ReadonlySet<string> = new Set(['/health', '/ready', '/metrics']);
