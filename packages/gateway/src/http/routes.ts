// The ingest route table: which paths take events, in which shape, and which
// stream they go to. Segment's SDKs use the /v1 paths (and their one-letter
// aliases), analytics.js's beacon /beacon/v1/batch; /collect takes one event
// or an array, to the stream `default` or the one its path names.
import { type EventType, isValidStreamName, STREAM_NAME_RULE } from '@eventkit/shared/event';
import type { Context, Hono } from 'hono';
import type { StreamRule } from '../ingest/ingest.ts';
import { type Env, fail } from './context.ts';
import { handleIngest } from './ingest-handler.ts';
import { refuseWhenBusy } from './refuse-when-busy.ts';
import type { AppDeps } from './types.ts';

export type RouteKind =
  /** One event per request: /v1/track, /v1/t, ... */
  | { kind: 'single'; impliedType: EventType }
  /** `{batch: [...]}`: /v1/batch, /v1/b, /beacon/v1/batch */
  | { kind: 'batch' }
  /** One event or an array: /collect[/:stream] */
  | { kind: 'collect' };

type StreamOf = (c: Context<Env>) => StreamRule | string;

const BY_TYPE: StreamOf = () => ({ kind: 'by-type' });

export const INGEST_ROUTES: { path: string; route: RouteKind; stream: StreamOf }[] = [
  { path: '/collect', route: { kind: 'collect' }, stream: () => ({ kind: 'fixed', stream: 'default' }) },
  {
    path: '/collect/:stream',
    route: { kind: 'collect' },
    stream: (c) => {
      const stream: string = c.req.param('stream') ?? '';
      if (isValidStreamName(stream)) return { kind: 'fixed', stream };
      return `stream name "${String(stream).slice(0, 80)}" is not valid: ${STREAM_NAME_RULE}`;
    },
  },
  ...(
    [
      [['/v1/track', '/v1/t'], 'track'],
      [['/v1/identify', '/v1/i'], 'identify'],
      [['/v1/page', '/v1/p'], 'page'],
      [['/v1/screen', '/v1/s'], 'screen'],
      [['/v1/group', '/v1/g'], 'group'],
      [['/v1/alias', '/v1/a'], 'alias'],
    ] as [string[], EventType][]
  ).flatMap(([paths, type]) =>
    paths.map((path) => ({
      path,
      route: { kind: 'single', impliedType: type } as RouteKind,
      stream: BY_TYPE,
    })),
  ),
  ...['/v1/batch', '/v1/b', '/beacon/v1/batch'].map((path) => ({
    path,
    route: { kind: 'batch' } as RouteKind,
    stream: BY_TYPE,
  })),
];

/** Every ingest route: refused when busy (before the body is read), else handled. */
export function registerIngestRoutes(app: Hono<Env>, deps: AppDeps): void {
  const busy = refuseWhenBusy(deps.state, deps.live?.feed);
  for (const { path, route, stream } of INGEST_ROUTES) {
    app.post(path, busy, async (c) => {
      const rule = stream(c);
      if (typeof rule === 'string') return fail(c, 'bad_request', rule);
      if (rule.kind === 'fixed') c.set('stream', rule.stream);
      return handleIngest(c, deps, route, rule);
    });
  }
}
