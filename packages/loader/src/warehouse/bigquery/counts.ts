// What the count step returns per file (rows and event-time span) and what
// is made of it: the dedup window, and the oldest folder day a ledger search
// needs to look at.
import { dedupWindow } from '../tables.ts';

export const DAY_MS = 86_400_000;

export interface CountRow {
  uri: string;
  row_count: number;
  min_time: { value: string } | Date | string | null;
  max_time: { value: string } | Date | string | null;
}

/**
 * A day before the oldest `date=YYYY-MM-DD` folder among the keys: a file is
 * never loaded before it was written (a day of slack for clock skew, as for
 * loadedKeys). Undefined when a key has no date folder (then no pruning).
 */
export function oldestFolderDay(keys: readonly string[]): Date | undefined {
  let oldest: number | undefined;
  for (const key of keys) {
    const m = /(?:^|\/)date=(\d{4}-\d{2}-\d{2})\//.exec(key);
    if (!m) return undefined;
    const t = Date.parse(`${m[1]}T00:00:00Z`);
    if (Number.isNaN(t)) return undefined;
    oldest = oldest === undefined ? t : Math.min(oldest, t);
  }
  return oldest === undefined ? undefined : new Date(oldest - DAY_MS);
}

export function toDate(v: unknown): Date | undefined {
  if (v === null || v === undefined) return undefined;
  if (v instanceof Date) return v;
  const text =
    typeof v === 'object' && 'value' in (v as object) ? String((v as { value: unknown }).value) : String(v);
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** The dedup window around the files' event times (undefined when they hold no rows). */
export function windowOf(counts: readonly CountRow[], days: number) {
  const mins = counts.map((r) => toDate(r.min_time)).filter((d): d is Date => d !== undefined);
  const maxs = counts.map((r) => toDate(r.max_time)).filter((d): d is Date => d !== undefined);
  if (mins.length === 0) return undefined;
  return dedupWindow(new Date(Math.min(...mins.map(Number))), new Date(Math.max(...maxs.map(Number))), days);
}
