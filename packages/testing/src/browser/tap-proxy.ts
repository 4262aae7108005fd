// A recording, fault-injecting HTTP proxy on 127.0.0.1 between a browser and a
// server (the gateway). It records what crossed the wire, including the CORS
// preflights that Playwright's request events never show, and can
// - answer the next N matching requests itself with an error, without
//   forwarding them, as an overloaded gateway would (`failNext`);
// - hold the next N matching requests before forwarding them, as a slow
//   gateway would (`delayNext`). A held request is forwarded even if the
//   browser gave up on it meanwhile (a page unloading cancels its fetches):
//   the server then has a request whose client never saw the answer.
// The Host header is forwarded unchanged, so a server that builds URLs from it
// (the gateway's settings document) points clients back at the proxy.
import {
  Agent,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request,
  type ServerResponse,
} from 'node:http';
import { listenLoopback, readBody, sleep } from '../http/server-kit.ts';

export interface TappedRequest {
  /** 1-based, in arrival order. */
  seq: number;
  /** Date.now() when the request arrived. */
  at: number;
  method: string;
  /** Path without the query string. */
  path: string;
  query: string;
  /** Request headers, lower-case names. */
  headers: IncomingHttpHeaders;
  /** Request body as text (requests here are small). */
  body: string;
  /** Status answered; 0 if there was none (upstream failure, client gone before its body arrived). */
  status: number;
  /** True until the exchange is over: answered, failed or abandoned. */
  pending: boolean;
  responseHeaders: IncomingHttpHeaders;
  /** True when the proxy answered itself (fault injection) without forwarding. */
  injected: boolean;
  /** ms the proxy held the request before forwarding it (`delayNext`). */
  heldMs: number;
  /** True when the client closed the connection before the whole answer was sent. */
  clientGone: boolean;
}

export interface TapMatcher {
  method?: string;
  /** The whole path, or a RegExp tested against it. */
  path?: string | RegExp;
}

export interface TapFault extends TapMatcher {
  /** Default 503. */
  status?: number;
  /** Sent as Retry-After (seconds) when given. */
  retryAfter?: number;
}

export interface TapProxy {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly port: number;
  readonly requests: readonly TappedRequest[];
  /** The next `count` requests matching `fault` get its status without reaching the target. */
  failNext(count: number, fault?: TapFault): void;
  /** The next `count` requests matching are held `ms` before being forwarded. */
  delayNext(count: number, ms: number, match?: TapMatcher): void;
  /** Drops the fault and delay rules not used up yet. */
  clearRules(): void;
  /** Recorded requests with this method and path (whole path or RegExp). */
  requestsTo(method: string, path: string | RegExp): TappedRequest[];
  close(): Promise<void>;
}

/**
 * Headers an injected error carries so that the page can read it, mirroring
 * what the gateway sends on its own error responses (http/cors.ts): without
 * them the browser reports a network error instead of the status.
 */
function corsHeadersFor(origin: string | undefined): Record<string, string> {
  if (!origin) return {};
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-credentials': 'true',
    'access-control-expose-headers': 'Retry-After, X-RateLimit-Reset, X-Request-Id',
    vary: 'Origin',
  };
}

const matches = (m: TapMatcher, method: string, path: string) =>
  (!m.method || m.method.toUpperCase() === method) &&
  (m.path === undefined || (typeof m.path === 'string' ? path === m.path : m.path.test(path)));

interface Rule<T> {
  remaining: number;
  spec: T;
}

function take<T extends TapMatcher>(rules: Rule<T>[], method: string, path: string): T | undefined {
  const rule = rules.find((r) => r.remaining > 0 && matches(r.spec, method, path));
  if (!rule) return undefined;
  rule.remaining -= 1;
  return rule.spec;
}

export async function startTapProxy(target: string): Promise<TapProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true });
  const requests: TappedRequest[] = [];
  const faults: Rule<TapFault>[] = [];
  const delays: Rule<TapMatcher & { ms: number }>[] = [];
  let closing = false;

  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const entry: TappedRequest = {
      seq: requests.length + 1,
      at: Date.now(),
      method,
      path: url.pathname,
      query: url.search,
      headers: req.headers,
      body: '',
      status: 0,
      pending: true,
      responseHeaders: {},
      injected: false,
      heldMs: 0,
      clientGone: false,
    };
    requests.push(entry);
    res.on('close', () => {
      entry.clientGone = !res.writableFinished;
    });
    res.on('error', () => {});
    const done = () => {
      entry.pending = false;
    };
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch {
      // The client went away before it finished sending: nothing to forward.
      done();
      res.destroy();
      return;
    }
    entry.body = body.toString('utf8');

    const fault = take(faults, method, url.pathname);
    if (fault) {
      const status = fault.status ?? 503;
      const text = JSON.stringify({
        error: { code: 'unavailable', message: `injected ${status} (test proxy)`, requestId: '' },
      });
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(text)),
        ...corsHeadersFor(req.headers.origin),
        ...(fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {}),
      };
      entry.status = status;
      entry.responseHeaders = headers;
      entry.injected = true;
      res.writeHead(status, headers);
      res.end(text);
      done();
      return;
    }

    const delay = take(delays, method, url.pathname);
    if (delay) {
      entry.heldMs = delay.ms;
      await sleep(delay.ms);
      if (closing) return done();
    }

    // The body was read whole: forward it with a length, never chunked.
    const { 'transfer-encoding': _chunked, ...headers } = req.headers;
    const out = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method,
        path: req.url,
        headers: { ...headers, 'content-length': String(body.length) },
        agent,
      },
      (up) => {
        entry.status = up.statusCode ?? 0;
        entry.responseHeaders = up.headers;
        up.on('end', done);
        up.on('error', done);
        if (res.destroyed) {
          up.resume();
          return;
        }
        res.writeHead(entry.status, up.headers);
        up.pipe(res);
      },
    );
    out.on('error', () => {
      done();
      res.destroy();
    });
    out.end(body);
  };

  const server = await listenLoopback((req, res) => {
    handler(req, res).catch(() => res.destroy());
  });
  return {
    url: server.url,
    port: server.port,
    requests,
    failNext(count, fault = {}) {
      faults.push({ remaining: count, spec: fault });
    },
    delayNext(count, ms, match = {}) {
      delays.push({ remaining: count, spec: { ...match, ms } });
    },
    clearRules() {
      faults.length = 0;
      delays.length = 0;
    },
    requestsTo: (method, path) => requests.filter((r) => matches({ method, path }, r.method, r.path)),
    async close() {
      closing = true;
      await server.close();
      agent.destroy();
    },
  };
}
