// One ingest request: body (bounded, gunzipped, JSON), its items for the
// route, the write key, the ingest core, the WAL append (the 2xx waits for
// it), then the answer in the route's client family's shape (respond.ts).
// Refusal when busy happens before this, in refuse-when-busy.ts.
import { isJsonObject } from '@eventkit/shared/event';
import type { ErrorCode } from '@eventkit/shared/http';
import type { Context } from 'hono';
import { requestFacts } from '../ingest/enrich.ts';
import { ingest, type StreamRule } from '../ingest/ingest.ts';
import { BodyError, decodeJsonBody, readBoundedBody } from './body.ts';
import { clientIp } from './client-ip.ts';
import { type Env, fail } from './context.ts';
import { respond } from './respond.ts';
import type { RouteKind } from './routes.ts';
import type { AppDeps } from './types.ts';
import { basicAuthUser } from './write-keys.ts';

export async function handleIngest(c: Context<Env>, deps: AppDeps, route: RouteKind, rule: StreamRule) {
  const receivedAt = new Date();
  if (rule.kind === 'fixed') c.set('stream', rule.stream);
  // A request refused as a whole shows on the live page too (live/), with the code its client got.
  const refuse = (code: ErrorCode, message: string, source?: string) => {
    deps.live?.feed.refused(receivedAt, { code, message }, { source, stream: c.get('stream') });
    return fail(c, code, message);
  };

  let value: unknown;
  try {
    const raw = await readBoundedBody(c.req.raw, deps.limits.maxRequestBytes, c.env?.incoming);
    value = await decodeJsonBody(raw, c.req.header('content-encoding') ?? null, deps.limits.maxRequestBytes);
  } catch (err) {
    if (err instanceof BodyError) return refuse(err.code, err.message);
    throw err;
  }

  const parsed = itemsOf(value, route);
  if (typeof parsed === 'string') return refuse('bad_request', parsed);
  if (parsed.items.length > deps.limits.maxBatchEvents) {
    return refuse(
      'too_many_events',
      `the request has ${parsed.items.length} events, over the ${deps.limits.maxBatchEvents}-event limit (EVENTKIT_MAX_BATCH_EVENTS)`,
    );
  }

  const key = deps.writeKeys.resolve([
    basicAuthUser(c.req.header('authorization')),
    isJsonObject(value) && typeof value.writeKey === 'string' ? value.writeKey : undefined,
    c.req.query('writeKey'),
  ]);
  if (!key.ok) return refuse('unauthorized', key.message);

  const result = ingest({
    items: parsed.items,
    rule,
    ...(route.kind === 'single' ? { impliedType: route.impliedType } : {}),
    ...(parsed.batch ? { batch: parsed.batch } : {}),
    source: key.source,
    requestId: c.get('requestId'),
    receivedAt,
    maxEventBytes: deps.limits.maxEventBytes,
    facts: requestFacts(
      clientIp(
        c.req.header('x-forwarded-for'),
        c.env?.incoming?.socket.remoteAddress,
        deps.enrichment.trustedProxyHops,
      ),
      c.req.header('user-agent'),
      deps.enrichment.ipCapture,
    ),
  });

  try {
    await deps.appendToWal(result, receivedAt);
  } catch (err) {
    c.get('log').fatal({ err }, 'wal_write_failed');
    c.header('Retry-After', '5');
    return refuse(
      'unavailable',
      'the gateway could not store the events; nothing was accepted, retry later',
      key.source,
    );
  }
  // After the append, so the page shows what was stored; synchronous, it never delays the answer.
  deps.live?.feed.record(result, receivedAt);
  deps.metrics.eventsAccepted.inc(result.accepted.length);
  for (const r of result.rejected) deps.metrics.eventsRejected.inc({ code: r.code });
  return respond(c, route, result);
}

interface Parsed {
  items: readonly unknown[];
  batch?: { context?: unknown; integrations?: unknown; sentAt?: unknown };
}

function itemsOf(value: unknown, route: RouteKind): Parsed | string {
  switch (route.kind) {
    case 'collect':
      if (Array.isArray(value)) return { items: value };
      if (isJsonObject(value)) return { items: [value] };
      return 'expected an event object or an array of events';
    case 'single':
      if (isJsonObject(value)) return { items: [value] };
      return 'expected one event object';
    case 'batch':
      if (Array.isArray(value)) return { items: value };
      if (isJsonObject(value) && Array.isArray(value.batch)) {
        return {
          items: value.batch,
          batch: { context: value.context, integrations: value.integrations, sentAt: value.sentAt },
        };
      }
      return 'expected {"batch": [events...]}';
  }
}
