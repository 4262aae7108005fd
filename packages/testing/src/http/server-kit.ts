// Small HTTP helpers shared by the fake GCS and fake BigQuery servers: listen on
// a free loopback port, read and parse bodies (JSON, multipart/related), answer
// JSON and Google-style error bodies, and record every request for assertions.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the fake server saw it, for tests to assert what a client sent. */
export interface RecordedRequest {
  method: string;
  /** The path as sent (percent-encoded, e.g. `/storage/v1/b/b/o/a%2Fb.txt`), without the query string. */
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body (or the JSON part of a multipart body); undefined when there was none. */
  body: unknown;
  /** Size of the raw request body in bytes. */
  bodyBytes: number;
  /** Status the fake answered with (0 if the connection was reset by a fault). */
  status: number;
  /** True when the answer came from fault injection rather than the fake's logic. */
  injected: boolean;
}

/** A Google API error item (`error.errors[]` in GCS and BigQuery error bodies). */
export interface GoogleErrorItem {
  reason: string;
  message: string;
  domain?: string;
  location?: string;
  locationType?: string;
  debugInfo?: string;
}

/** Thrown by route handlers to answer with a Google-style JSON error. */
export class HttpError extends Error {
  readonly status: number;
  readonly reason: string;
  readonly extra: Partial<GoogleErrorItem>;
  constructor(status: number, reason: string, message: string, extra: Partial<GoogleErrorItem> = {}) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.reason = reason;
    this.extra = extra;
  }
}

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  412: 'FAILED_PRECONDITION',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  501: 'NOT_IMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** The JSON error body Google JSON APIs (GCS, BigQuery) answer with. */
export function googleErrorBody(
  status: number,
  reason: string,
  message: string,
  extra: Partial<GoogleErrorItem> = {},
): { error: { code: number; message: string; errors: GoogleErrorItem[]; status: string } } {
  return {
    error: {
      code: status,
      message,
      errors: [{ message, domain: 'global', reason, ...extra }],
      status: STATUS_NAMES[status] ?? 'UNKNOWN',
    },
  };
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=UTF-8',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, err: HttpError): void {
  sendJson(res, err.status, googleErrorBody(err.status, err.reason, err.message, err.extra));
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function parseJson(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new HttpError(400, 'parseError', 'Parse Error: request body is not valid JSON');
  }
}

export interface MultipartPart {
  headers: Record<string, string>;
  body: Buffer;
}

/** Splits a multipart/related (or multipart/form-data) body into its parts. */
export function parseMultipart(contentType: string, raw: Buffer): MultipartPart[] {
  const match = /boundary="?([^";]+)"?/i.exec(contentType);
  if (!match?.[1]) throw new HttpError(400, 'invalid', 'multipart body without a boundary');
  const delimiter = Buffer.from(`--${match[1]}`);
  const parts: MultipartPart[] = [];
  let pos = raw.indexOf(delimiter);
  while (pos !== -1) {
    let start = pos + delimiter.length;
    if (raw.subarray(start, start + 2).toString() === '--') break; // closing delimiter
    if (raw.subarray(start, start + 2).toString() === '\r\n') start += 2;
    const next = raw.indexOf(delimiter, start);
    if (next === -1) break;
    // The part ends with the CRLF that precedes the next delimiter.
    let end = next;
    if (raw.subarray(end - 2, end).toString() === '\r\n') end -= 2;
    const part = raw.subarray(start, end);
    const headerEnd = part.indexOf('\r\n\r\n');
    const headerText = headerEnd === -1 ? '' : part.subarray(0, headerEnd).toString('utf8');
    const headers: Record<string, string> = {};
    for (const line of headerText.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    parts.push({ headers, body: headerEnd === -1 ? part : part.subarray(headerEnd + 4) });
    pos = next;
  }
  return parts;
}

export interface ListeningServer {
  server: Server;
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Starts `handler` on 127.0.0.1 on a free port. `close()` also drops keep-alive connections. */
export async function listenLoopback(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<ListeningServer> {
  const server = createServer(handler);
  // Clients keep connections alive; a fake must never keep a test process running.
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

/** Requests with the method whose path contains `pathPart` (or matches the RegExp). */
export function filterRequests(
  requests: readonly RecordedRequest[],
  method: string,
  pathPart: string | RegExp,
): RecordedRequest[] {
  return requests.filter(
    (r) =>
      r.method === method.toUpperCase() &&
      (typeof pathPart === 'string' ? r.path.includes(pathPart) : pathPart.test(r.path)),
  );
}

/** Query string of a URL as a plain record (last value wins for repeated keys). */
export function queryRecord(url: URL): Record<string, string> {
  return Object.fromEntries(url.searchParams.entries());
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
