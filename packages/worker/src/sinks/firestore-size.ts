// How many bytes a document counts against Firestore's limits, computed from
// the data before anything is sent, so that a batch can be cut into commits
// Firestore accepts and a document it can never accept is named up front.
//
// Two different measures, for two different limits
// (https://cloud.google.com/firestore/quotas):
//   - "Maximum size for a document: 1 MiB (1,048,576 bytes)" counts the
//     storage size (https://cloud.google.com/firestore/docs/storage-size):
//     strings are UTF-8 bytes + 1; numbers, dates 8; booleans, null 1; a map or
//     array the sum of its parts; the name the sum of its path segments + 16;
//     the document name + fields + 32. The emulator applies the same rules, to
//     the byte (see firestore.int.test.ts).
//   - "Maximum API request size: 10 MiB" counts the encoded CommitRequest
//     protobuf. That is computed here from the wire format (field tags, varint
//     lengths), always rounding up, so it is an upper bound of what the client
//     sends (checked against the bytes measured on the wire in the tests).
import { FieldValue, Timestamp } from '@google-cloud/firestore';

/** Firestore's limit on a document's storage size. */
export const FIRESTORE_MAX_DOCUMENT_BYTES = 1_048_576;
/** Firestore's limit on an API request (a commit), encoded. */
export const FIRESTORE_MAX_REQUEST_BYTES = 10 * 1024 * 1024;
/**
 * The Firestore emulator's limit on a request: gRPC's default inbound message
 * size. Above it the emulator answers RESOURCE_EXHAUSTED ("gRPC message exceeds
 * maximum size 4194304"), which the client retries for 10 minutes.
 */
export const EMULATOR_MAX_REQUEST_BYTES = 4 * 1024 * 1024;

const STRING_OVERHEAD = 1;
const NAME_OVERHEAD = 16;
const DOCUMENT_OVERHEAD = 32;
const SCALAR_BYTES = 8;
const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

/** Storage size of a field value (storage-size rules). */
export function storedValueBytes(value: unknown): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return utf8(value) + STRING_OVERHEAD;
  if (typeof value === 'number' || value instanceof Timestamp || value instanceof FieldValue)
    return SCALAR_BYTES;
  if (Array.isArray(value)) return value.reduce((sum: number, v) => sum + storedValueBytes(v), 0);
  let sum = 0;
  for (const [key, v] of Object.entries(value as object)) {
    if (v !== undefined) sum += utf8(key) + STRING_OVERHEAD + storedValueBytes(v);
  }
  return sum;
}

/** Storage size of a document at `path` ("streams/web/events/abc") holding `data`. */
export function storedDocumentBytes(path: string, data: Record<string, unknown>): number {
  const name = path.split('/').reduce((sum, segment) => sum + utf8(segment) + STRING_OVERHEAD, NAME_OVERHEAD);
  return name + storedValueBytes(data) + DOCUMENT_OVERHEAD;
}

// --- wire size ---------------------------------------------------------------

/** Bytes of a varint holding a non-negative length or number (up to 2^53). */
function varintBytes(n: number): number {
  if (n < 0) return 10; // int64 two's complement
  let bytes = 1;
  for (let rest = n; rest >= 0x80; rest = Math.floor(rest / 0x80)) bytes++;
  return bytes;
}
/** A length-delimited field: tag + length + payload. */
const delimited = (tagBytes: number, payload: number) => tagBytes + varintBytes(payload) + payload;

/**
 * Encoded size of a google.firestore.v1.Value. The tags of its fields are one
 * byte except string_value (field 17, two). A JS number is an integer_value
 * when it is a safe integer (a varint of up to 10 bytes), else a double_value.
 */
export function wireValueBytes(value: unknown): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 2;
  if (typeof value === 'string') return delimited(2, utf8(value));
  if (typeof value === 'number') return Number.isSafeInteger(value) ? 1 + varintBytes(value) : 1 + 8;
  if (value instanceof Timestamp) {
    // Timestamp { seconds = 1 (int64), nanos = 2 (int32) }, both counted even when zero.
    return delimited(1, 1 + varintBytes(value.seconds) + 1 + varintBytes(value.nanoseconds));
  }
  if (Array.isArray(value)) {
    // ArrayValue { repeated Value values = 1 }
    return delimited(
      1,
      value.reduce((sum: number, v) => sum + delimited(1, wireValueBytes(v)), 0),
    );
  }
  return delimited(1, wireFieldsBytes(value as Record<string, unknown>)); // MapValue { map fields = 1 }
}

/** Encoded size of a `map<string, Value>` field's entries (each entry: key = 1, value = 2). */
function wireFieldsBytes(fields: Record<string, unknown>): number {
  let sum = 0;
  for (const [key, v] of Object.entries(fields)) {
    if (v === undefined || v instanceof FieldValue) continue;
    sum += delimited(1, delimited(1, utf8(key)) + delimited(1, wireValueBytes(v)));
  }
  return sum;
}

/**
 * The longest `projects/{project}/databases/{database}/documents/` prefix we
 * count: project ids have at most 30 characters in Google Cloud; 100 leaves
 * room for the emulator, which takes any.
 */
const MAX_PROJECT_ID_BYTES = 100;

/**
 * Upper bound of what one set() of `data` at `path` adds to a CommitRequest:
 * `writes` entry (field 2) holding Write { update = 1: Document { name = 1,
 * fields = 2 }, update_transforms = 7: one FieldTransform { field_path = 1,
 * set_to_server_value = 2 } per FieldValue.serverTimestamp() }.
 */
export function wireWriteBytes(databaseId: string, path: string, data: Record<string, unknown>): number {
  const name = `projects//databases/${databaseId}/documents/${path}`;
  const document = delimited(1, utf8(name) + MAX_PROJECT_ID_BYTES) + wireFieldsBytes(data);
  let write = delimited(1, document);
  for (const [key, v] of Object.entries(data)) {
    if (v instanceof FieldValue) write += delimited(1, delimited(1, utf8(key) + 2) + 2);
  }
  return delimited(1, write);
}

/** The CommitRequest's own fields besides the writes (database = 1, transaction = 3: none). */
export function wireCommitOverheadBytes(databaseId: string): number {
  return delimited(1, utf8(`projects//databases/${databaseId}`) + MAX_PROJECT_ID_BYTES);
}
