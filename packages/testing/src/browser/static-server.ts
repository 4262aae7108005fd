// A tiny static file server on its own 127.0.0.1 port: the "website" in
// browser tests. Its origin differs from the gateway's (another port is another
// origin), so the browser applies real CORS to every request the page makes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listenLoopback } from '../http/server-kit.ts';

export interface StaticFile {
  body: string | Uint8Array;
  contentType: string;
}

export interface StaticRequest {
  /** Date.now() when it arrived. */
  at: number;
  method: string;
  /** Path without the query string. */
  path: string;
  status: number;
}

export interface StaticServer {
  /** `http://127.0.0.1:PORT`: the page origin. */
  readonly url: string;
  readonly port: number;
  /** Every request answered, in order, including 404s. */
  readonly requests: readonly StaticRequest[];
  /** Adds or replaces a file while the server runs. */
  set(path: string, file: StaticFile): void;
  close(): Promise<void>;
}

/** Serves `files` (keyed by absolute path, e.g. `/index.html`) with `Cache-Control: no-store`; anything else is a 404. */
export async function serveStatic(files: Readonly<Record<string, StaticFile>>): Promise<StaticServer> {
  const table = new Map(Object.entries(files));
  const requests: StaticRequest[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const file = req.method === 'GET' || req.method === 'HEAD' ? table.get(path) : undefined;
    const status = file ? 200 : 404;
    requests.push({ at: Date.now(), method: req.method ?? '', path, status });
    const body = file?.body ?? `not found: ${req.method} ${path}\n`;
    res.writeHead(status, {
      'content-type': file?.contentType ?? 'text/plain; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      'cache-control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  const server = await listenLoopback(handler);
  return {
    url: server.url,
    port: server.port,
    requests,
    set(path, file) {
      table.set(path, file);
    },
    close: () => server.close(),
  };
}
