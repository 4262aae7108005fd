// "Refuse when busy" as middleware on the ingest routes: a backlog over the
// high-water mark (429) or a shutdown or dead WAL (503) is answered before
// the body is read, so it costs clients little; Retry-After says when to come
// back (X-RateLimit-Reset too, for clients that read only that).
import { errorBody } from '@eventkit/shared/http';
import type { MiddlewareHandler } from 'hono';
import type { Env } from './context.ts';
import type { GatewayState } from './types.ts';

export function refuseWhenBusy(state: GatewayState): MiddlewareHandler<Env> {
  return async (c, next) => {
    const refusal = state.refusal();
    if (!refusal) return next();
    c.header('Retry-After', String(refusal.retryAfter));
    c.header('X-RateLimit-Reset', String(Math.ceil(Date.now() / 1000) + refusal.retryAfter));
    return c.json(errorBody(refusal.code, refusal.message, c.get('requestId')), refusal.status);
  };
}
