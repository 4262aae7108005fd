// The object layout the worker writes and the loader reads (docs/architecture.md,
// "Storage layout"), in a bucket or under EVENTKIT_DATA_DIR:
//
//   {prefix}events/stream={stream}/date=YYYY-MM-DD/hour=HH/{worker}-{uuid}.parquet
//   {prefix}errors/date=YYYY-MM-DD/error_type={validation|processing}/{worker}-{uuid}.ndjson
//
// date and hour are the UTC time of the write, not of the events: every file
// lands in the folder of "now", so folders only ever grow at the end, and a
// loader that remembers the last key it loaded (a watermark, listed with
// startAfter) never misses a file written later into an older folder. Event
// time lives in the rows (timestamp, received_at) and partitions the table.
//
// File names start with the worker id and a random UUID: unique without
// coordination, and spread out rather than sequential (no hot key range).
import { randomUUID } from 'node:crypto';
import { type ErrorType, storageKeyPrefix } from '@eventkit/shared';

/** EVENTKIT_STORAGE_PREFIX as a key prefix: '' stays '', 'lake' and 'lake/' become 'lake/'. */
export function keyPrefix(storagePrefix: string): string {
  return storageKeyPrefix(storagePrefix);
}

function day(at: Date): string {
  return at.toISOString().slice(0, 10);
}

function hour(at: Date): string {
  return at.toISOString().slice(11, 13);
}

export interface KeyParts {
  prefix: string;
  workerId: string;
  at: Date;
  id?: string;
}

export function eventFileKey(parts: KeyParts & { stream: string }): string {
  const { prefix, workerId, at, stream } = parts;
  return `${keyPrefix(prefix)}events/stream=${stream}/date=${day(at)}/hour=${hour(at)}/${workerId}-${parts.id ?? randomUUID()}.parquet`;
}

export function errorFileKey(parts: KeyParts & { errorType: ErrorType }): string {
  const { prefix, workerId, at, errorType } = parts;
  return `${keyPrefix(prefix)}errors/date=${day(at)}/error_type=${errorType}/${workerId}-${parts.id ?? randomUUID()}.ndjson`;
}

/** `{prefix}errors/` — where dead-letter files live. */
export function errorsPrefix(prefix: string): string {
  return `${keyPrefix(prefix)}errors/`;
}

/** The date folder and error type of a dead-letter file key, or undefined for anything else. */
export function parseErrorFileKey(
  prefix: string,
  key: string,
): { date: string; errorType: ErrorType } | undefined {
  const base = errorsPrefix(prefix);
  if (!key.startsWith(base)) return undefined;
  const m = /^date=(\d{4}-\d{2}-\d{2})\/error_type=(validation|processing)\/[^/]+\.ndjson$/.exec(
    key.slice(base.length),
  );
  return m ? { date: m[1]!, errorType: m[2] as ErrorType } : undefined;
}

/** `{prefix}dlq-replays/` — the replay ledger (outside errors/, which the loader loads). */
export function replayLedgerPrefix(prefix: string): string {
  return `${keyPrefix(prefix)}dlq-replays/`;
}

export function replayLedgerKey(prefix: string, workerId: string, at: Date): string {
  return `${replayLedgerPrefix(prefix)}${at.toISOString().replace(/[:.]/g, '-')}-${workerId}-${randomUUID()}.ndjson`;
}
