// CORS, where browsers lose events silently when it is wrong (docs/clients.md):
// - analytics.js sends Authorization and, on retries, X-Retry-Count; the Rudder
//   browser SDK sends AnonymousId, SentAt and Rsa-Retry-* headers. A fixed
//   allow-list blocked them, so preflights reflect Access-Control-Request-Headers.
// - Each short path preflights separately: Access-Control-Max-Age caches them.
// - analytics.js honours Retry-After only when it can read it (≤ 1.83 reads
//   X-RateLimit-Reset): both are exposed.
// - Error responses carry the headers too, or a 400 is retried as a network error.
import type { MiddlewareHandler } from 'hono';

const EXPOSED = 'Retry-After, X-RateLimit-Reset, X-Request-Id';
/** Chromium caps preflight caching at 2 hours; asking for more changes nothing. */
const MAX_AGE_SECONDS = '7200';

export function corsMiddleware(origins: readonly string[]): MiddlewareHandler {
  const any = origins.includes('*');
  const allows = (origin: string | undefined): origin is string =>
    origin !== undefined && (any || origins.includes(origin));

  return async (c, next) => {
    const origin = c.req.header('origin');
    const allowed = allows(origin);
    if (c.req.method === 'OPTIONS') {
      const headers = new Headers({ Vary: 'Origin, Access-Control-Request-Headers' });
      if (allowed) {
        headers.set('Access-Control-Allow-Origin', origin);
        headers.set('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
        const requested = c.req.header('access-control-request-headers');
        if (requested) headers.set('Access-Control-Allow-Headers', requested);
        headers.set('Access-Control-Max-Age', MAX_AGE_SECONDS);
        headers.set('Access-Control-Expose-Headers', EXPOSED);
      }
      return c.body(null, 204, Object.fromEntries(headers));
    }
    await next();
    if (allowed) {
      // Set on the final response, so error responses (onError, notFound) carry them too.
      c.res.headers.set('Access-Control-Allow-Origin', origin);
      c.res.headers.set('Access-Control-Expose-Headers', EXPOSED);
      c.res.headers.append('Vary', 'Origin');
    }
  };
}
