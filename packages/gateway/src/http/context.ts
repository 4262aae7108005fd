// What every handler of the gateway's app shares: the Hono environment
// (request id, request logger, the stream for the log line, the Node request)
// and the error envelope every client gets.
import type { IncomingMessage } from 'node:http';
import { type ErrorCode, errorBody, errorStatus } from '@eventkit/shared/http';
import type { Logger } from '@eventkit/shared/logging';
import type { Context } from 'hono';

type Vars = { requestId: string; log: Logger; stream?: string };
/** Under @hono/node-server, `c.env.incoming` is the Node request (absent in app.request() tests). */
export type Env = { Variables: Vars; Bindings: { incoming?: IncomingMessage } };

/** The shared error envelope (`{error: {code, message, requestId}}`) with the code's status. */
export function fail(c: Context<Env>, code: ErrorCode, message: string, extra: Record<string, unknown> = {}) {
  return c.json({ ...errorBody(code, message, c.get('requestId') ?? ''), ...extra }, errorStatus(code));
}
