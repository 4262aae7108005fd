// The object layout the worker writes and the loader reads (docs/architecture.md, storage layout):
//   {prefix}events/stream={stream}/date=YYYY-MM-DD/hour=HH/{worker}-{uuid}.parquet
//   {prefix}errors/date=YYYY-MM-DD/error_type={validation|processing}/{worker}-{uuid}.ndjson
// Folders are named after the UTC time the worker flushed, so within one lane
// (one stream's events, or the errors) key order is folder-time order.
import { type LoadTable, storageKeyPrefix } from '@eventkit/shared';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** `EVENTKIT_STORAGE_PREFIX` as a key prefix, exactly as the worker writes under it (one definition, in shared). */
export function normalizePrefix(prefix: string): string {
  return storageKeyPrefix(prefix);
}

export const eventsRoot = (prefix: string): string => `${prefix}events/`;
export const errorsRoot = (prefix: string): string => `${prefix}errors/`;
export const streamRoot = (prefix: string, stream: string): string =>
  `${eventsRoot(prefix)}stream=${stream}/`;

const EVENT_KEY =
  /^events\/stream=([a-z0-9][a-z0-9_-]{0,63})\/date=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})\/[^/]+\.parquet$/;
const ERROR_KEY = /^errors\/date=(\d{4}-\d{2}-\d{2})\/error_type=(validation|processing)\/[^/]+\.ndjson$/;
const STREAM_SEGMENT = /^events\/stream=([a-z0-9][a-z0-9_-]{0,63})\//;

export interface ParsedKey {
  table: LoadTable;
  /** The lane's root: one stream's `…/stream=x/`, or `…/errors/`. */
  laneRoot: string;
  /** Start of the key's folder (its hour for events, its day for errors), ms since the epoch, UTC. */
  folderTime: number;
}

/** Start of a UTC day `YYYY-MM-DD`, or undefined when it is not a real date. */
export function parseDay(date: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return undefined;
  const time = Date.parse(`${date}T00:00:00.000Z`);
  if (Number.isNaN(time) || new Date(time).toISOString().slice(0, 10) !== date) return undefined;
  return time;
}

export const formatDay = (time: number): string => new Date(time).toISOString().slice(0, 10);
const formatHour = (time: number): string => new Date(time).toISOString().slice(11, 13);

/** What a key is, or undefined when it is not a file of the layout (it is then never loaded). */
export function parseKey(prefix: string, key: string): ParsedKey | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const rest = key.slice(prefix.length);
  const event = EVENT_KEY.exec(rest);
  if (event) {
    const [, stream = '', date = '', hour = ''] = event;
    const day = parseDay(date);
    const h = Number(hour);
    if (day === undefined || h > 23) return undefined;
    return { table: 'events', laneRoot: streamRoot(prefix, stream), folderTime: day + h * HOUR_MS };
  }
  const error = ERROR_KEY.exec(rest);
  if (error) {
    const day = parseDay(error[1] ?? '');
    if (day === undefined) return undefined;
    return { table: 'errors', laneRoot: errorsRoot(prefix), folderTime: day };
  }
  return undefined;
}

/** The stream named by a key under `{prefix}events/`, even when the rest of the key is malformed. */
export function streamOfKey(prefix: string, key: string): string | undefined {
  return STREAM_SEGMENT.exec(key.slice(prefix.length))?.[1];
}

/**
 * A listing position just before every file whose folder starts at or after
 * `time`: a `startAfter` value. Event folders are hours, error folders days.
 */
export function folderStartKey(table: LoadTable, laneRoot: string, time: number): string {
  const day = formatDay(time);
  return table === 'events' ? `${laneRoot}date=${day}/hour=${formatHour(time)}/` : `${laneRoot}date=${day}/`;
}

/** Start of the folder (hour or day) that contains `time`. */
export function folderFloor(table: LoadTable, time: number): number {
  const unit = table === 'events' ? HOUR_MS : DAY_MS;
  return Math.floor(time / unit) * unit;
}

/**
 * A `startAfter` that skips every key of the stream `stream` but no key of a
 * later stream. Keys of `stream` start `…stream=<stream>/`; '/' sorts before
 * '0', the smallest character a longer stream name can continue with after a
 * shared prefix ('-' sorts before '/', so such streams came earlier).
 */
export function afterStream(prefix: string, stream: string): string {
  return `${eventsRoot(prefix)}stream=${stream}0`;
}

export const HOUR = HOUR_MS;
export const DAY = DAY_MS;
