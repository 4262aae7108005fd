// The browser's only way out: an HTTP proxy on 127.0.0.1 that refuses every
// request and records it. Chromium is started with `--proxy-server` pointing
// here; it sends loopback traffic directly (its implicit bypass rule), and
// everything else, from pages, from fetches that outlive their page (keepalive
// at unload), or from Chromium itself, arrives here instead of at the
// network, and is answered 403 at once. So a test run is hermetic even on a
// machine with internet, and a test can assert that nothing tried to leave.
//
// Playwright's own `proxy` launch option is not used: it adds `<-loopback>` to
// the bypass list, which would send 127.0.0.1 through the proxy too.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface EgressAttempt {
  /** Date.now() when it arrived. */
  at: number;
  /** `CONNECT` for https (only the host is visible), else the request method. */
  method: string;
  /** Host name the browser wanted to reach, without the port. */
  host: string;
  /** `host:port` for CONNECT, the absolute URL otherwise. */
  target: string;
}

/**
 * Chromium's own Google services, which it contacts at start even with
 * --disable-background-networking and --disable-component-update (seen with
 * Debian's Chromium 156: update.googleapis.com, accounts.google.com,
 * clients2.google.com). Not page traffic; `pageEgress()` leaves them out.
 */
export const CHROMIUM_SERVICE_HOSTS: readonly RegExp[] = [
  /(^|\.)google\.com$/,
  /(^|\.)googleapis\.com$/,
  /(^|\.)gvt1\.com$/,
  /(^|\.)gvt2\.com$/,
];

export const isChromiumServiceHost = (host: string) => CHROMIUM_SERVICE_HOSTS.some((re) => re.test(host));

export interface EgressGuard {
  /** `http://127.0.0.1:PORT`, for `--proxy-server`. */
  readonly proxyUrl: string;
  /** Every attempt to reach something other than loopback, in order. */
  readonly attempts: readonly EgressAttempt[];
  close(): Promise<void>;
}

function hostOf(target: string): string {
  try {
    return new URL(target.includes('://') ? target : `http://${target}`).hostname;
  } catch {
    return target;
  }
}

export async function startEgressGuard(): Promise<EgressGuard> {
  const attempts: EgressAttempt[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const target = req.url ?? '';
    attempts.push({ at: Date.now(), method: req.method ?? '', host: hostOf(target), target });
    res.writeHead(403, { 'content-type': 'text/plain', connection: 'close' });
    res.end('eventkit test egress guard: only 127.0.0.1 is reachable from this browser\n');
  });
  server.on('connect', (req: IncomingMessage, socket: Socket) => {
    const target = req.url ?? '';
    attempts.push({ at: Date.now(), method: 'CONNECT', host: hostOf(target), target });
    socket.on('error', () => {});
    socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    proxyUrl: `http://127.0.0.1:${port}`,
    attempts,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      return closed;
    },
  };
}
