// The worker's operations endpoints, served on EVENTKIT_METRICS_PORT:
//   GET /health   200 while the process runs (liveness)
//   GET /ready    200 once subscribed and the sink is reachable, else 503 (readiness)
//   GET /metrics  Prometheus text
// Thin: what "ready" means is decided by the worker's composition (compose.ts).
import { randomUUID } from 'node:crypto';
import { errorResponse } from '@eventkit/shared/http';
import { type Registry, renderMetrics } from '@eventkit/shared/metrics';
import { Hono } from 'hono';

export interface ReadyReport {
  ready: boolean;
  /** Each check by name: 'ok' or a short reason (never payloads or secrets). */
  checks: Record<string, string>;
}

export interface OpsAppDeps {
  registry: Registry;
  ready: () => Promise<ReadyReport>;
}

export function createOpsApp(deps: OpsAppDeps): Hono {
  const app = new Hono();
  const requestId = (header: string | undefined) => header ?? randomUUID();

  app.get('/health', (c) => c.json({ status: 'ok' }));

  app.get('/ready', async (c) => {
    const report = await deps.ready();
    if (report.ready) return c.json({ status: 'ready', checks: report.checks });
    const failing = Object.entries(report.checks)
      .filter(([, v]) => v !== 'ok')
      .map(([k, v]) => `${k}: ${v}`)
      .join('; ');
    const { status, body } = errorResponse(
      'unavailable',
      `not ready (${failing})`,
      requestId(c.req.header('x-request-id')),
    );
    c.header('Retry-After', '5');
    return c.json({ ...body, checks: report.checks }, status);
  });

  app.get('/metrics', async (c) => {
    const { contentType, body } = await renderMetrics(deps.registry);
    return c.body(body, 200, { 'Content-Type': contentType });
  });

  app.notFound((c) => {
    const { status, body } = errorResponse(
      'not_found',
      'no such endpoint',
      requestId(c.req.header('x-request-id')),
    );
    return c.json(body, status);
  });
  return app;
}

/**
 * A readiness check that runs `probe` at most once per `ttlMs` and gives up
 * after `timeoutMs`, so probes from Kubernetes never pile up on a slow sink.
 */
export function cachedCheck(
  probe: () => Promise<void>,
  ttlMs = 5_000,
  timeoutMs = 5_000,
): () => Promise<string> {
  let last: { at: number; result: string } | undefined;
  let running: Promise<string> | undefined;
  return async () => {
    if (last && Date.now() - last.at < ttlMs) return last.result;
    running ??= (async () => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      });
      let result: string;
      try {
        await Promise.race([probe(), timeout]);
        result = 'ok';
      } catch (err) {
        result = ((err as Error).message || 'failed').slice(0, 200);
      } finally {
        clearTimeout(timer);
      }
      last = { at: Date.now(), result };
      running = undefined;
      return result;
    })();
    return running;
  };
}
