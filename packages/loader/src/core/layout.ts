// Listing positions over the object layout the worker writes. The layout
// itself (keys, prefix, parseKey) is described once, in @eventkit/shared
// (layout/object-keys.ts); this file adds what only a reader needs.
// Folders are named after the UTC time the worker flushed, so within one lane
// (one stream's events, or the errors) key order is folder-time order.
import { DAY_MS, eventsRoot, formatDay, HOUR_MS } from '@eventkit/shared/layout';
import type { LoadTable } from '@eventkit/shared/ports';

const formatHour = (time: number): string => new Date(time).toISOString().slice(11, 13);
const STREAM_SEGMENT = /^events\/stream=([a-z0-9][a-z0-9_-]{0,63})\//;

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
