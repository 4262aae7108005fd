// What the browser itself asked for, seen from Playwright's side: every request
// a context's pages (and their workers) start, how it ended, and any that aimed
// anywhere but 127.0.0.1. It only listens: no routing, because intercepting
// requests changes how Chromium sends them (keepalive fetches during unload,
// preflights), which is exactly what browser tests are here to observe.
// Playwright does not report CORS preflights; see the tap proxy for those.
import type { BrowserContext, Request } from 'playwright-core';

export interface WatchedRequest {
  method: string;
  url: string;
  /** URL of the frame that started it, as known when it started ('' for workers). */
  frameUrl: string;
  resourceType: string;
  headers: Record<string, string>;
  /** 'pending' until it finished or failed. */
  outcome: 'pending' | 'finished' | 'failed';
  /** Status for finished requests, the error text for failed ones. */
  status?: number;
  failure?: string;
}

export interface RequestWatch {
  readonly requests: readonly WatchedRequest[];
  /** Requests to anything but http(s)://127.0.0.1 (data:, blob: and about: pages excepted). */
  offLoopback(): WatchedRequest[];
  stop(): void;
}

const LOCAL_SCHEMES = new Set(['data:', 'blob:', 'about:']);

export function isLoopbackUrl(url: string): boolean {
  try {
    const u = new URL(url);
    if (LOCAL_SCHEMES.has(u.protocol)) return true;
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname === '127.0.0.1';
  } catch {
    return false;
  }
}

export function watchRequests(context: BrowserContext): RequestWatch {
  const requests: WatchedRequest[] = [];
  const byRequest = new WeakMap<Request, WatchedRequest>();
  const onRequest = (r: Request) => {
    let frameUrl = '';
    try {
      frameUrl = r.frame().url();
    } catch {
      // a worker's request has no frame
    }
    const w: WatchedRequest = {
      method: r.method(),
      url: r.url(),
      frameUrl,
      resourceType: r.resourceType(),
      headers: r.headers(),
      outcome: 'pending',
    };
    byRequest.set(r, w);
    requests.push(w);
  };
  const onFinished = async (r: Request) => {
    const w = byRequest.get(r);
    if (!w) return;
    w.outcome = 'finished';
    w.status = (await r.response().catch(() => null))?.status();
  };
  const onFailed = (r: Request) => {
    const w = byRequest.get(r);
    if (!w) return;
    w.outcome = 'failed';
    w.failure = r.failure()?.errorText ?? 'unknown';
  };
  context.on('request', onRequest);
  context.on('requestfinished', onFinished);
  context.on('requestfailed', onFailed);
  return {
    requests,
    offLoopback: () => requests.filter((r) => !isLoopbackUrl(r.url)),
    stop() {
      context.off('request', onRequest);
      context.off('requestfinished', onFinished);
      context.off('requestfailed', onFailed);
    },
  };
}
