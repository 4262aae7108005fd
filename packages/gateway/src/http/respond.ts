// The answer each client family expects: Segment's SDKs get 200
// {success: true} (with "rejected" when some events were refused), /collect
// gets 202 {status: "accepted"}; a request whose every event was refused is
// a 4xx with the reasons (413 for a single-event route's oversized event).
import type { Context } from 'hono';
import type { IngestResult } from '../ingest/ingest.ts';
import { type Env, fail } from './context.ts';
import type { RouteKind } from './routes.ts';

export function respond(c: Context<Env>, route: RouteKind, result: IngestResult) {
  const rejected = result.rejected.length > 0 ? { rejected: result.rejected } : {};
  if (result.accepted.length === 0 && result.rejected.length > 0) {
    const only = result.rejected.length === 1 ? result.rejected[0] : undefined;
    if (route.kind === 'single' && only?.code === 'event_too_large') {
      return fail(c, 'payload_too_large', only.message, rejected);
    }
    const message =
      result.rejected.length === 1
        ? `the event was not accepted: ${result.rejected[0]?.message}`
        : `none of the ${result.rejected.length} events was accepted; see "rejected"`;
    return fail(c, 'validation_failed', message, rejected);
  }
  return route.kind === 'collect'
    ? c.json({ status: 'accepted', ...rejected }, 202)
    : c.json({ success: true, ...rejected }, 200);
}
