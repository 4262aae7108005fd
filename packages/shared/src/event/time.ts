// Reading the date-times clients send, strictly and the same way on every host.
//
// `Date.parse` is not used: it accepts non-ISO text ("March 7 2014"), rolls
// impossible dates over (Feb 30 → Mar 1) and reads a date-time without an
// offset in the *server's* time zone, so the same event would get a different
// timestamp on a differently configured pod.

/** Earliest instant the warehouse can hold: BigQuery's TIMESTAMP starts at 0001-01-01. */
export const MIN_EVENT_TIME_MS = -62_135_596_800_000;
/** Latest instant the warehouse can hold: 9999-12-31T23:59:59.999Z. */
export const MAX_EVENT_TIME_MS = 253_402_300_799_999;
/**
 * Numbers below this (1973-03-03 in epoch milliseconds) are refused: they are
 * almost certainly epoch *seconds*, which read as milliseconds would silently
 * land every event in January 1970.
 */
export const MIN_EPOCH_MILLIS = 100_000_000_000;

// Long enough for "2024-01-01T10:00:00.123456789+05:30"; anything longer is not a date-time and
// is refused before the regex sees it.
const MAX_ISO_LENGTH = 40;

// Calendar date, optionally a time (`T`, `t` or a space, as RFC 3339 allows), optional
// seconds and fraction, optional offset (`Z`, `±HH`, `±HHMM`, `±HH:MM`).
const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/;

/**
 * The instant a client date-time denotes, in epoch milliseconds, or undefined
 * when it is not one we accept.
 *
 * Accepted: ISO-8601 / RFC 3339 strings (every SDK sends these); a date-time
 * without an offset is read as UTC (deterministic, and when a client sends both
 * `originalTimestamp` and `sentAt` from the same zone-less clock the skew
 * correction cancels the zone out); a date alone is midnight UTC. Also epoch
 * milliseconds as a JSON number, for hand-rolled clients (`Date.now()`).
 * Fractions beyond milliseconds are truncated. Only years 0001–9999, the range
 * BigQuery and DuckDB timestamps share.
 */
export function parseEventTime(value: unknown): number | undefined {
  if (typeof value === 'number') return parseEpochMillis(value);
  if (typeof value === 'string') return parseIsoDateTime(value);
  return undefined;
}

function parseEpochMillis(value: number): number | undefined {
  if (!Number.isFinite(value) || value < MIN_EPOCH_MILLIS || value > MAX_EVENT_TIME_MS) return undefined;
  return Math.trunc(value);
}

/** `YYYY-MM-DDTHH:MM:SS.mmmZ`, what Date#toISOString and every SDK produce. */
function isCanonicalIso(text: string): boolean {
  if (text.length !== 24) return false;
  for (let i = 0; i < 24; i++) {
    const c = text.charCodeAt(i);
    switch (i) {
      case 4:
      case 7:
        if (c !== 45) return false; // -
        break;
      case 10:
        if (c !== 84) return false; // T
        break;
      case 13:
      case 16:
        if (c !== 58) return false; // :
        break;
      case 19:
        if (c !== 46) return false; // .
        break;
      case 23:
        if (c !== 90) return false; // Z
        break;
      default:
        if (c < 48 || c > 57) return false;
    }
  }
  return true;
}

const digits = (t: string, from: number, to: number): number => {
  let n = 0;
  for (let i = from; i < to; i++) n = n * 10 + (t.charCodeAt(i) - 48);
  return n;
};

/** The hot path: canonical strings parsed from their digits, no regex, same validation. */
function parseCanonicalIso(text: string): number | undefined {
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 7);
  const day = digits(text, 8, 10);
  const hour = digits(text, 11, 13);
  const minute = digits(text, 14, 16);
  const second = digits(text, 17, 19);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  return utcMillis(year, month, day, hour, minute, second, digits(text, 20, 23));
}

function parseIsoDateTime(text: string): number | undefined {
  if (isCanonicalIso(text)) return parseCanonicalIso(text);
  if (text.length > MAX_ISO_LENGTH) return undefined;
  const m = ISO_8601.exec(text);
  if (m === null) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', offset = 'Z'] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const offsetMinutes = parseOffsetMinutes(offset);
  if (offsetMinutes === undefined) return undefined;
  const millis = Number(fraction.padEnd(3, '0').slice(0, 3));
  const local = utcMillis(year, month, day, hour, minute, second, millis);
  const instant = local - offsetMinutes * 60_000;
  if (instant < MIN_EVENT_TIME_MS || instant > MAX_EVENT_TIME_MS) return undefined;
  return instant;
}

function parseOffsetMinutes(offset: string): number | undefined {
  if (offset === 'Z' || offset === 'z') return 0;
  const digits = offset.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2)) : 0;
  if (hours > 23 || minutes > 59) return undefined;
  const sign = offset.startsWith('-') ? -1 : 1;
  return sign * (hours * 60 + minutes);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

// Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear does not.
function utcMillis(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number {
  if (y >= 100) return Date.UTC(y, mo - 1, d, h, mi, s, ms);
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, ms);
  return date.getTime();
}

let lastMillis = Number.NaN;
let lastIso = '';

/**
 * The canonical form eventkit stores: ISO-8601, millisecond precision, UTC `Z`
 * (e.g. 2026-11-27T10:00:00.000Z). `given` is the client's text for the same
 * instant, when there is one: already canonical, it is returned as is (the
 * common case; formatting a Date is the costliest step of normalising).
 * A one-entry cache serves the receivedAt and batch sentAt that every event of
 * a request shares.
 */
export function toIsoTimestamp(epochMillis: number, given?: unknown): string {
  if (typeof given === 'string' && isCanonicalIso(given)) return given;
  if (epochMillis === lastMillis) return lastIso;
  lastMillis = epochMillis;
  lastIso = new Date(epochMillis).toISOString();
  return lastIso;
}
