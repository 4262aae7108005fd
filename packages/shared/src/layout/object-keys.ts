// The object layout: the one description of the keys the worker writes and
// the loader reads (docs/architecture.md, "Storage layout"), in a bucket or
// under EVENTKIT_DATA_DIR:
//
//   {prefix}events/stream={stream}/date=YYYY-MM-DD/hour=HH/{worker}-{uuid}.parquet
//   {prefix}errors/date=YYYY-MM-DD/error_type={validation|processing}/{worker}-{uuid}.ndjson
//   {prefix}dlq-replays/{time}-{worker}-{uuid}.ndjson        the replay ledger (never loaded)
//
// date and hour are the UTC time of the write, not of the events: every file
// lands in the folder of "now", so within one lane (one stream's events, or
// the errors) key order is folder-time order, and a loader that remembers the
// last key it loaded (listing with startAfter) never misses a later file.
// Event time lives in the rows (timestamp, received_at).
//
// File names start with the worker id and a random UUID: unique without
// coordination, and spread out rather than sequential (no hot key range).
//
// Every function takes EVENTKIT_STORAGE_PREFIX as configured or already
// normalised (keyPrefix is idempotent).
import { randomUUID } from 'node:crypto';
import type { ErrorType } from '../event/types.ts';
import type { LoadTable } from '../ports/warehouse.ts';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/**
 * The key prefix for EVENTKIT_STORAGE_PREFIX, the same for every writer and
 * reader of the bucket: no leading slash (object keys have none), one trailing
 * slash, or nothing at all. `/tenant/` and `tenant` both give `tenant/`.
 */
export function keyPrefix(storagePrefix: string): string {
  const trimmed = storagePrefix.replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? '' : `${trimmed}/`;
}

export const eventsRoot = (prefix: string): string => `${keyPrefix(prefix)}events/`;
export const errorsRoot = (prefix: string): string => `${keyPrefix(prefix)}errors/`;
export const streamRoot = (prefix: string, stream: string): string =>
  `${eventsRoot(prefix)}stream=${stream}/`;
/** Where the replay ledger lives: outside errors/, which the loader loads. */
export const replaysRoot = (prefix: string): string => `${keyPrefix(prefix)}dlq-replays/`;

export const formatDay = (time: number): string => new Date(time).toISOString().slice(0, 10);
const formatHour = (time: number): string => new Date(time).toISOString().slice(11, 13);

/** Start of a UTC day `YYYY-MM-DD`, or undefined when it is not a real date. */
export function parseDay(date: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return undefined;
  const time = Date.parse(`${date}T00:00:00.000Z`);
  if (Number.isNaN(time) || formatDay(time) !== date) return undefined;
  return time;
}

export interface KeyParts {
  prefix: string;
  workerId: string;
  /** The time of the write: names the folder. */
  at: Date;
  /** The file's unique part (default: a random UUID). */
  id?: string;
}

export function eventFileKey(parts: KeyParts & { stream: string }): string {
  const { prefix, workerId, at, stream } = parts;
  const time = at.getTime();
  return `${streamRoot(prefix, stream)}date=${formatDay(time)}/hour=${formatHour(time)}/${workerId}-${parts.id ?? randomUUID()}.parquet`;
}

export function errorFileKey(parts: KeyParts & { errorType: ErrorType }): string {
  const { prefix, workerId, at, errorType } = parts;
  return `${errorsRoot(prefix)}date=${formatDay(at.getTime())}/error_type=${errorType}/${workerId}-${parts.id ?? randomUUID()}.ndjson`;
}

export function replayLedgerKey(prefix: string, workerId: string, at: Date): string {
  return `${replaysRoot(prefix)}${at.toISOString().replace(/[:.]/g, '-')}-${workerId}-${randomUUID()}.ndjson`;
}

const EVENT_KEY =
  /^events\/stream=([a-z0-9][a-z0-9_-]{0,63})\/date=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})\/[^/]+\.parquet$/;
const ERROR_KEY = /^errors\/date=(\d{4}-\d{2}-\d{2})\/error_type=(validation|processing)\/[^/]+\.ndjson$/;

interface ParsedBase {
  table: LoadTable;
  /** The lane's root: one stream's `…/stream=x/`, or `…/errors/`. */
  laneRoot: string;
  /** Start of the key's folder (its hour for events, its day for errors), ms since the epoch, UTC. */
  folderTime: number;
  /** The folder's date, YYYY-MM-DD. */
  date: string;
}

export type ParsedKey =
  | (ParsedBase & { table: 'events'; stream: string })
  | (ParsedBase & { table: 'errors'; errorType: ErrorType });

/** What a key is, or undefined when it is not a file of the layout (it is then never loaded). */
export function parseKey(prefix: string, key: string): ParsedKey | undefined {
  const base = keyPrefix(prefix);
  if (!key.startsWith(base)) return undefined;
  const rest = key.slice(base.length);
  const event = EVENT_KEY.exec(rest);
  if (event) {
    const [, stream = '', date = '', hour = ''] = event;
    const day = parseDay(date);
    const h = Number(hour);
    if (day === undefined || h > 23) return undefined;
    return {
      table: 'events',
      stream,
      date,
      laneRoot: streamRoot(base, stream),
      folderTime: day + h * HOUR_MS,
    };
  }
  const error = ERROR_KEY.exec(rest);
  if (error) {
    const [, date = '', errorType] = error;
    const day = parseDay(date);
    if (day === undefined) return undefined;
    return {
      table: 'errors',
      errorType: errorType as ErrorType,
      date,
      laneRoot: errorsRoot(base),
      folderTime: day,
    };
  }
  return undefined;
}
