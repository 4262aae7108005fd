// What the deploy artifacts must agree with, read from the code itself: the
// settings table (variable names per role, default ports), the HTTP routes the
// gateway and the worker serve, and the metric names the roles export. The
// static checks of docker-compose.yml, deploy/k8s and deploy/monitoring use it.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SETTINGS } from '@eventkit/shared/config';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
export const read = (path: string) => readFileSync(join(REPO, path), 'utf8');

export type DeployRole = 'gateway' | 'worker' | 'loader';

/** Environment variables a role reads (names and deprecated aliases), from the settings table. */
export function envFor(role: DeployRole): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, spec] of Object.entries(SETTINGS)) {
    if (!(spec.roles as readonly string[]).includes(role)) continue;
    out.set(spec.env, key);
    for (const alias of spec.aliases) out.set(alias.env, key);
  }
  return out;
}

/** Every variable of the table, whatever the role. */
export function allEnv(): Set<string> {
  return new Set(Object.values(SETTINGS).flatMap((s) => [s.env, ...s.aliases.map((a) => a.env)]));
}

export const DEFAULT_PORTS = {
  gateway: Number(SETTINGS.port.default),
  worker: Number(SETTINGS.metricsPort.default),
} as const;

/** GET routes registered with `app.get('/path'` in the source files. */
function getRoutes(...paths: string[]): Set<string> {
  return new Set(
    paths.flatMap((path) => [...read(path).matchAll(/app\.get\('([^']+)'/g)].map((m) => m[1] ?? '')),
  );
}

export const ROUTES = {
  // The probes and /metrics are registered from probes.ts (on the public app unless EVENTKIT_ADMIN_PORT is set).
  gateway: getRoutes('packages/gateway/src/http/app.ts', 'packages/gateway/src/http/probes.ts'),
  worker: getRoutes('packages/worker/src/ops/app.ts'),
} as const;

export type MetricType = 'Counter' | 'Gauge' | 'Histogram';

/** Metric names the code defines (`defineCounter(registry, { name: 'eventkit_…'` in the metrics modules). */
export function metricNames(): Map<string, MetricType> {
  const out = new Map<string, MetricType>();
  for (const file of [
    'packages/gateway/src/metrics.ts',
    'packages/worker/src/core/metrics.ts',
    'packages/loader/src/core/metrics.ts',
  ]) {
    for (const m of read(file).matchAll(
      /define(Counter|Gauge|Histogram)\(registry, \{\s*name: '(eventkit_[a-z_]+)'/g,
    )) {
      out.set(m[2] ?? '', m[1] as MetricType);
    }
  }
  return out;
}
