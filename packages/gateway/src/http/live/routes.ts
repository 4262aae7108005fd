// The live events page and its stream: GET /live (one static HTML file with
// inline JS, page.html) and GET /live/events (server-sent events). Registered
// on the admin listener by the gateway (EVENTKIT_LIVE_EVENTS) and on the
// loopback listener by eventkit-dev; see gateway.ts.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { type ErrorCode, errorBody, errorStatus } from '@eventkit/shared/http';
import { type Context, Hono } from 'hono';
import { type SSEStreamingApi, streamSSE } from 'hono/streaming';
import type { LiveEntry } from './entries.ts';
import type { LiveFeed } from './feed.ts';

export const LIVE_PATH = '/live';
export const LIVE_STREAM_PATH = '/live/events';

const PAGE = readFileSync(new URL('./page.html', import.meta.url), 'utf8');
/**
 * The page renders strings clients chose (event names, reasons, payloads), by
 * textContent only; the policy is the second line: no script runs but the
 * page's own (by its hash), and it can connect only to its own origin.
 */
const CSP = [
  "default-src 'none'",
  `script-src '${scriptHash(PAGE)}'`,
  "style-src 'unsafe-inline'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** An idle stream gets a comment this often, so proxies and the browser keep it open. */
export const KEEPALIVE_MS = 15_000;
/** How soon a page's EventSource reconnects (after the client was dropped for lagging, or a restart). */
const RETRY_MS = 2_000;

/**
 * What these routes read of the app they are mounted on (http/context.ts's
 * Env, restated so that this folder imports nothing from http/, which imports it).
 */
type LiveEnv = { Variables: { requestId: string }; Bindings: { incoming?: IncomingMessage } };

/** The routes, as an app to mount with `app.route('/', liveRoutes(feed))`: the host app's middleware applies. */
export function liveRoutes(feed: LiveFeed): Hono<LiveEnv> {
  const app = new Hono<LiveEnv>();
  app.get(LIVE_PATH, (c) =>
    c.body(PAGE, 200, {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': CSP,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    }),
  );
  app.get(LIVE_STREAM_PATH, (c) => {
    // The public port's CORS allows any origin (for SDKs): without this, any
    // web page the operator opens could read the stream through EventSource.
    if (foreignOrigin(c)) return fail(c, 'bad_request', 'the live events stream serves its own page only');
    const client = feed.subscribe();
    if (!client && feed.closed) {
      c.header('Retry-After', '5');
      return fail(c, 'unavailable', 'the process is shutting down');
    }
    if (!client) {
      c.header('Retry-After', '10');
      return fail(c, 'rate_limited', `${feed.maxClients} pages already watch the live events; close one`);
    }
    let lastSent = Number(c.req.header('last-event-id') ?? c.req.query('after') ?? 0) || 0;
    const send = async (stream: SSEStreamingApi, entries: readonly LiveEntry[]) => {
      // The ring and the queue overlap for entries recorded while the ring was being sent.
      const fresh = entries.filter((e) => e.seq > lastSent);
      const last = fresh.at(-1);
      if (!last) return;
      lastSent = last.seq;
      await stream.writeSSE({ data: JSON.stringify(fresh), id: String(last.seq) });
    };
    return streamSSE(c, async (stream) => {
      // A lagging client's write may wait on a full socket forever: aborting ends
      // the write, destroying the socket ends the connection (which would hold
      // the listener's close() at shutdown otherwise). Its EventSource reconnects.
      client.onHangUp = () => {
        stream.abort();
        c.env?.incoming?.socket.destroy();
      };
      stream.onAbort(() => client.close());
      const hello = { payloads: feed.payloads, capacity: feed.capacity };
      await stream.writeSSE({ event: 'hello', data: JSON.stringify(hello), retry: RETRY_MS });
      await send(stream, feed.recent(lastSent));
      for (;;) {
        const entries = await client.next(KEEPALIVE_MS);
        if (entries === null) break;
        if (entries.length === 0) await stream.write(': keepalive\n\n');
        else await send(stream, entries);
      }
    });
  });
  return app;
}

/** The shared error envelope, as http/context.ts's fail() writes it. */
function fail(c: Context<LiveEnv>, code: ErrorCode, message: string) {
  return c.json(errorBody(code, message, c.get('requestId') ?? ''), errorStatus(code));
}

function foreignOrigin(c: Context<LiveEnv>): boolean {
  const origin = c.req.header('origin');
  return origin !== undefined && origin !== new URL(c.req.url).origin;
}

function scriptHash(html: string): string {
  const script = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1];
  if (script === undefined) throw new Error('page.html has no inline script');
  return `sha256-${createHash('sha256').update(script, 'utf8').digest('base64')}`;
}
