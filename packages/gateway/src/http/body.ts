// Reading a request body within limits, whatever the client claims.
//
// Clients label JSON as application/json, text/plain (every analytics.js
// request, the Rudder beacon) or gzip-compressed form-urlencoded
// (rudder-sdk-node), so Content-Type is ignored: the body is gunzipped when
// Content-Encoding says gzip or it starts with the gzip magic bytes, then
// parsed as JSON. Both the bytes on the wire and the decompressed bytes are
// capped, so neither a huge body nor a gzip bomb can exhaust memory.
import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { mayHoldLoneSurrogates, toWellFormedJson } from '@eventkit/shared/event';

const gunzip = promisify(zlib.gunzip);

export class BodyError extends Error {
  readonly code: 'payload_too_large' | 'invalid_json' | 'bad_request';
  constructor(code: BodyError['code'], message: string) {
    super(message);
    this.name = 'BodyError';
    this.code = code;
  }
}

const tooLarge = (limit: number, what: string) =>
  new BodyError(
    'payload_too_large',
    `${what} is larger than the ${limit}-byte limit (EVENTKIT_MAX_REQUEST_BYTES)`,
  );

/**
 * A refused body is read on and thrown away (up to this much, for this long)
 * before the 413 goes out: a server that closes a connection with unread
 * bytes in its buffer resets it, and the reset makes the client's kernel
 * discard the answer it had not read yet — the client sees "connection
 * reset" instead of the 413 that says why, and an SDK retries it for ever.
 * Past either bound the answer goes out anyway (what nginx calls a lingering
 * close, bounded the same way).
 */
export const REFUSED_BODY_DISCARD = { maxBytes: 16 * 1024 * 1024, maxMs: 5_000 };

/**
 * Reads at most `maxBytes` of the body; one byte more is a 413, and the rest is
 * discarded within REFUSED_BODY_DISCARD. Under @hono/node-server the Node request stream is read directly
 * (`incoming`), which costs far less per request than the web-stream adapter.
 */
export async function readBoundedBody(
  req: Request,
  maxBytes: number,
  incoming?: IncomingMessage,
): Promise<Buffer> {
  const declared = Number(req.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes && !req.headers.has('transfer-encoding')) {
    if (incoming) await discardRest(incoming);
    throw tooLarge(maxBytes, 'request body');
  }
  if (incoming) return readNodeStream(incoming, maxBytes);
  if (!req.body) return Buffer.alloc(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(maxBytes, 'request body');
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size);
}

async function readNodeStream(incoming: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  // destroyOnReturn: false — leaving the loop must not destroy the request
  // (and its socket): the rest is discarded and the 413 still goes out.
  for await (const chunk of incoming.iterator({ destroyOnReturn: false })) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      await discardRest(incoming);
      throw tooLarge(maxBytes, 'request body');
    }
    chunks.push(chunk as Buffer);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

/** Reads and drops what is left of a refused body, within REFUSED_BODY_DISCARD; never rejects. */
function discardRest(incoming: IncomingMessage): Promise<void> {
  if (incoming.readableEnded || incoming.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let seen = 0;
    const finish = () => {
      clearTimeout(timer);
      incoming.off('data', onData).off('end', finish).off('error', finish).off('close', finish);
      incoming.pause();
      resolve();
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > REFUSED_BODY_DISCARD.maxBytes) finish();
    };
    const timer = setTimeout(finish, REFUSED_BODY_DISCARD.maxMs);
    incoming.on('data', onData).once('end', finish).once('error', finish).once('close', finish);
    incoming.resume();
  });
}

function isGzip(body: Buffer, contentEncoding: string | null): boolean {
  if (contentEncoding?.toLowerCase().includes('gzip')) return true;
  return body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b;
}

/** Gunzips (capped) when needed and parses JSON. */
export async function decodeJsonBody(
  body: Buffer,
  contentEncoding: string | null,
  maxBytes: number,
): Promise<unknown> {
  let text = body;
  if (isGzip(body, contentEncoding)) {
    try {
      text = await gunzip(body, { maxOutputLength: maxBytes });
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
        throw tooLarge(maxBytes, 'decompressed body');
      throw new BodyError('bad_request', `the body is not valid gzip: ${(err as Error).message}`);
    }
  }
  if (text.length === 0) throw new BodyError('invalid_json', 'the request body is empty; send a JSON object');
  const json = text.toString('utf8'); // invalid UTF-8 bytes become U+FFFD here
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw new BodyError('invalid_json', `the request body is not valid JSON: ${(err as Error).message}`);
  }
  // Every accepted string is well-formed: a lone surrogate could never be loaded.
  return mayHoldLoneSurrogates(json) ? toWellFormedJson(value) : value;
}
