// The HTTP listener both the gateway and the local mode use.
import type { Server } from 'node:http';
import { type ServerType, serve } from '@hono/node-server';

/**
 * Idle keep-alive connections stay open longer than any client or proxy keeps
 * them: Google's load balancers reuse a backend connection for up to 600 s, and
 * a backend that closes first turns the request that raced the close into a
 * 502 (clients see "socket hang up"). Node's default is 5 s.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 620_000;

export async function listen(
  fetch: (request: Request, env: never) => Response | Promise<Response>,
  hostname: string,
  port: number,
): Promise<ServerType> {
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: fetch as never, hostname, port }, () => resolve(s));
  });
  const http = server as Server;
  http.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  // Must exceed keepAliveTimeout, or Node may time out a connection's next request headers first.
  http.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 5_000;
  return server;
}
