// "Refuse when busy" as middleware on the ingest routes: a backlog over the
// high-water mark (429) or a shutdown or dead WAL (503) is answered before
// the body is read, so it costs clients little; Retry-After says when to come
// back (X-RateLimit-Reset too, for clients that read only that).
import { errorBody } from '@eventkit/shared/http';
import type { MiddlewareHandler } from 'hono';
import type { Env } from './context.ts';
import type { LiveFeed } from './live/feed.ts';
import type { GatewayState } from './types.ts';

/** `live`: the live events page's feed, which shows each refusal as its client got it. */
export function refuseWhenBusy(state: GatewayState, live?: LiveFeed): MiddlewareHandler<Env> {
  return async (c, next) => {
    const refusal = state.refusal();
    if (!refusal) return next();
    live?.refused(new Date(), { code: refusal.code, message: refusal.message }, {});
    c.header('Retry-After', String(refusal.retryAfter));
    c.header('X-RateLimit-Reset', String(Math.ceil(Date.now() / 1000) + refusal.retryAfter));
    return c.json(errorBody(refusal.code, refusal.message, c.get('requestId')), refusal.status);
  };
}
