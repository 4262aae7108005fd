// The queue envelope: what travels from the gateway to the worker, one queue
// message per envelope.
//
// An envelope carries a batch of events of ONE stream (so a subscription filter
// on the `stream` attribute can route a noisy stream to its own workers), with
// the source and request id of each event so a request can be followed from
// gateway logs to worker logs.
//
// Wire format (version 1):
//   bytes 0-1  magic "EK"
//   byte  2    version (1)
//   byte  3    codec (0 = none, 1 = gzip, 2 = zstd)
//   rest       the codec's compression of a UTF-8 JSON body:
//              { "stream": s, "sources": [..], "requestIds": [..],
//                "events": [[sourceIndex, requestIdIndex, event], ...],
//                "deadLetters": [deadLetter, ...] }          (optional)
// Sources and request ids are listed once and referenced by index: a 100-event
// batch from one request carries its request id once, not 100 times.
//
// Events the gateway refused (invalid) travel as dead letters in envelopes of
// their own, on the stream DEAD_LETTER_STREAM, so they reach the dead-letter
// store through the same durable path as valid events (WAL → queue → worker).
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { mayHoldLoneSurrogates, toWellFormedJson } from '../event/json.ts';
import type { DeadLetter, Reason, RoutedEvent, SegmentEvent } from '../event/types.ts';

export const ENVELOPE_VERSION = 1;
const MAGIC_0 = 0x45; // 'E'
const MAGIC_1 = 0x4b; // 'K'
const HEADER_BYTES = 4;

export const CODECS = { none: 0, gzip: 1, zstd: 2 } as const;
export type Codec = keyof typeof CODECS;

/** Pub/Sub's limit is 10 MB per message; keep a margin for attributes. */
export const MAX_ENVELOPE_BYTES = 9_500_000;
/**
 * Decompressed-size cap on decode, so a corrupt or hostile message cannot
 * exhaust a worker's memory (a zstd bomb expands over 1000×).
 */
export const MAX_DECODED_BYTES = 64 * 1024 * 1024;

/** The stream of envelopes that carry dead letters; not a valid user stream name (leading underscore). */
export const DEAD_LETTER_STREAM = '_dead_letters';

export interface Envelope {
  version: number;
  stream: string;
  events: RoutedEvent[];
  deadLetters: DeadLetter[];
}

/** An event already serialised (as the gateway's WAL holds it), for encoding without a parse. */
export interface RawEnvelopeItem {
  source: string;
  requestId: string;
  type: string;
  /** The event (or, on DEAD_LETTER_STREAM, the dead letter) as JSON text. */
  json: string;
}

export interface EncodedEnvelope {
  data: Buffer;
  /** Queue message attributes: small, filterable, never payload or user ids. */
  attributes: Record<string, string>;
}

interface WireBody {
  stream: string;
  sources: string[];
  requestIds: string[];
  events: [number, number, SegmentEvent][];
  deadLetters?: DeadLetter[];
}

export class EnvelopeError extends Error {
  readonly code: 'not_an_envelope' | 'unknown_version' | 'unknown_codec' | 'corrupt' | 'too_large';
  constructor(code: EnvelopeError['code'], message: string) {
    super(message);
    this.name = 'EnvelopeError';
    this.code = code;
  }
  toReason(): Reason {
    return { code: `envelope_${this.code}`, message: this.message };
  }
}

/** Lists each source and request id once; events refer to them by index. */
class ReferenceTable {
  readonly sources: string[] = [];
  readonly requestIds: string[] = [];
  readonly #sourceIndex = new Map<string, number>();
  readonly #requestIndex = new Map<string, number>();

  indexes(source: string, requestId: string): [number, number] {
    return [
      ReferenceTable.#index(this.sources, this.#sourceIndex, source),
      ReferenceTable.#index(this.requestIds, this.#requestIndex, requestId),
    ];
  }

  static #index(list: string[], index: Map<string, number>, value: string): number {
    let i = index.get(value);
    if (i === undefined) {
      i = list.push(value) - 1;
      index.set(value, i);
    }
    return i;
  }
}

function toWireBody(stream: string, events: readonly RoutedEvent[]): WireBody {
  const refs = new ReferenceTable();
  const items: [number, number, SegmentEvent][] = [];
  for (const routed of events) {
    if (routed.stream !== stream) {
      throw new RangeError(`envelope for stream "${stream}" got an event of stream "${routed.stream}"`);
    }
    const [s, r] = refs.indexes(routed.source, routed.requestId);
    items.push([s, r, routed.event]);
  }
  return { stream, sources: refs.sources, requestIds: refs.requestIds, events: items };
}

function attributes(stream: string, count: number, types: Iterable<string>, firstRequestId: string) {
  return {
    stream,
    envelope_version: String(ENVELOPE_VERSION),
    event_count: String(count),
    types: [...new Set(types)].sort().join(',').slice(0, 256),
    // Attribute values are capped at 1024 bytes by Pub/Sub: the first request id
    // is enough to find the request in the logs; the body has them all.
    request_id: firstRequestId.slice(0, 256),
  };
}

function attributesFor(body: WireBody): Record<string, string> {
  return attributes(
    body.stream,
    body.events.length,
    body.events.map((e) => e[2].type),
    body.requestIds[0] ?? '',
  );
}

function header(codec: Codec): Buffer {
  return Buffer.from([MAGIC_0, MAGIC_1, ENVELOPE_VERSION, CODECS[codec]]);
}

const zstdCompress = promisify(zlib.zstdCompress);
const gzip = promisify(zlib.gzip);
const zstdDecompress = promisify(zlib.zstdDecompress);
const gunzip = promisify(zlib.gunzip);

/**
 * Encodes an envelope. Compression runs on libuv's thread pool (async), so the
 * caller's event loop is not blocked by it.
 */
export async function encodeEnvelope(
  stream: string,
  events: readonly RoutedEvent[],
  options: { codec?: Codec } = {},
): Promise<EncodedEnvelope> {
  const body = toWireBody(stream, events);
  return {
    data: await compress(JSON.stringify(body), options.codec ?? 'zstd'),
    attributes: attributesFor(body),
  };
}

async function compress(text: string, codec: Codec): Promise<Buffer> {
  const json = Buffer.from(text, 'utf8');
  const compressed = codec === 'zstd' ? await zstdCompress(json) : codec === 'gzip' ? await gzip(json) : json;
  const data = Buffer.concat([header(codec), compressed]);
  if (data.length > MAX_ENVELOPE_BYTES) {
    throw new EnvelopeError(
      'too_large',
      `envelope is ${data.length} bytes, over the ${MAX_ENVELOPE_BYTES}-byte limit; publish fewer events per envelope`,
    );
  }
  return data;
}

/**
 * Encodes events that are already JSON text without parsing them again (the
 * gateway's WAL relay reads them from its WAL). On DEAD_LETTER_STREAM the items
 * are dead letters. The caller guarantees each `json` is valid JSON.
 */
export async function encodeRawEnvelope(
  stream: string,
  items: readonly RawEnvelopeItem[],
  options: { codec?: Codec } = {},
): Promise<EncodedEnvelope> {
  const codec = options.codec ?? 'zstd';
  const first = items[0]?.requestId ?? '';
  if (stream === DEAD_LETTER_STREAM) {
    const letters = items.map((i) => i.json).join(',');
    const text = `{"stream":${JSON.stringify(stream)},"sources":[],"requestIds":[],"events":[],"deadLetters":[${letters}]}`;
    return {
      data: await compress(text, codec),
      attributes: { ...attributes(stream, items.length, ['dead_letter'], first), kind: 'dead_letters' },
    };
  }
  const refs = new ReferenceTable();
  const parts: string[] = [];
  for (const item of items) {
    const [s, r] = refs.indexes(item.source, item.requestId);
    parts.push(`[${s},${r},${item.json}]`);
  }
  const head = `{"stream":${JSON.stringify(stream)},"sources":${JSON.stringify(refs.sources)},"requestIds":${JSON.stringify(refs.requestIds)}`;
  const text = `${head},"events":[${parts.join(',')}]}`;
  const types = items.map((i) => i.type);
  return { data: await compress(text, codec), attributes: attributes(stream, items.length, types, first) };
}

function parseHeader(data: Uint8Array): Codec {
  if (data.length < HEADER_BYTES || data[0] !== MAGIC_0 || data[1] !== MAGIC_1) {
    throw new EnvelopeError('not_an_envelope', 'message is not an eventkit envelope (bad magic bytes)');
  }
  const version = data[2];
  if (version !== ENVELOPE_VERSION) {
    throw new EnvelopeError(
      'unknown_version',
      `envelope version ${version} is not supported by this worker (it reads version ${ENVELOPE_VERSION}); upgrade the worker`,
    );
  }
  const codecByte = data[3];
  const codec = (Object.keys(CODECS) as Codec[]).find((c) => CODECS[c] === codecByte);
  if (codec === undefined) throw new EnvelopeError('unknown_codec', `envelope codec ${codecByte} is unknown`);
  return codec;
}

function fromWireBody(json: Buffer): Envelope {
  let body: unknown;
  try {
    const text = json.toString('utf8');
    // Envelopes from gateways older than the edge's own fix can carry lone
    // surrogates, which no sink or warehouse can store: mend them here too.
    body = mayHoldLoneSurrogates(text) ? toWellFormedJson(JSON.parse(text)) : JSON.parse(text);
  } catch {
    throw new EnvelopeError('corrupt', 'envelope body is not valid JSON');
  }
  if (!isWireBody(body))
    throw new EnvelopeError('corrupt', 'envelope body does not have the version 1 shape');
  const events: RoutedEvent[] = [];
  for (const [s, r, event] of body.events) {
    const source = body.sources[s];
    const requestId = body.requestIds[r];
    if (source === undefined || requestId === undefined) {
      throw new EnvelopeError('corrupt', 'envelope references a source or request id it does not list');
    }
    events.push({ event, source, requestId, stream: body.stream });
  }
  return { version: ENVELOPE_VERSION, stream: body.stream, events, deadLetters: body.deadLetters ?? [] };
}

function isWireBody(x: unknown): x is WireBody {
  if (typeof x !== 'object' || x === null) return false;
  const b = x as Record<string, unknown>;
  return (
    typeof b.stream === 'string' &&
    Array.isArray(b.sources) &&
    b.sources.every((s) => typeof s === 'string') &&
    Array.isArray(b.requestIds) &&
    b.requestIds.every((s) => typeof s === 'string') &&
    Array.isArray(b.events) &&
    b.events.every(
      (e) =>
        Array.isArray(e) &&
        e.length === 3 &&
        Number.isInteger(e[0]) &&
        Number.isInteger(e[1]) &&
        typeof e[2] === 'object' &&
        e[2] !== null &&
        !Array.isArray(e[2]),
    ) &&
    (b.deadLetters === undefined ||
      (Array.isArray(b.deadLetters) &&
        b.deadLetters.every(
          (l) =>
            typeof l === 'object' &&
            l !== null &&
            typeof (l as DeadLetter).id === 'string' &&
            Array.isArray((l as DeadLetter).reasons),
        )))
  );
}

/**
 * Below this size a synchronous decompression is cheaper than a trip to the
 * thread pool (measured: ~0.17 ms sync against ~0.7 ms of CPU async for a 1 KB
 * zstd envelope) and blocks the event loop for well under a millisecond.
 */
const SYNC_DECOMPRESS_BELOW = 64 * 1024;

async function decompress(codec: Codec, payload: Buffer): Promise<Buffer> {
  const options = { maxOutputLength: MAX_DECODED_BYTES };
  if (codec === 'none') return payload;
  if (payload.length < SYNC_DECOMPRESS_BELOW) {
    return codec === 'zstd' ? zlib.zstdDecompressSync(payload, options) : zlib.gunzipSync(payload, options);
  }
  return codec === 'zstd' ? zstdDecompress(payload, options) : gunzip(payload, options);
}

/** Decodes an envelope, throwing EnvelopeError (with a code) for anything it cannot read. */
export async function decodeEnvelope(data: Uint8Array): Promise<Envelope> {
  const codec = parseHeader(data);
  const payload = Buffer.from(data.buffer, data.byteOffset + HEADER_BYTES, data.byteLength - HEADER_BYTES);
  let json: Buffer;
  try {
    json = await decompress(codec, payload);
  } catch (err) {
    const tooBig = (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
    throw tooBig
      ? new EnvelopeError('too_large', `envelope decompresses to more than ${MAX_DECODED_BYTES} bytes`)
      : new EnvelopeError(
          'corrupt',
          `envelope body does not decompress (${codec}): ${(err as Error).message}`,
        );
  }
  if (json.length > MAX_DECODED_BYTES) {
    throw new EnvelopeError('too_large', `envelope body is more than ${MAX_DECODED_BYTES} bytes`);
  }
  return fromWireBody(json);
}
