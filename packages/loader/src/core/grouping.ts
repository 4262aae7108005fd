// Grouping: pending files become load jobs of bounded size, and each job gets an
// id derived only from its files, so the same files always make the same job.
import { createHash } from 'node:crypto';
import type { LoadTable } from '@eventkit/shared/ports';

export interface GroupLimits {
  /** Most files in one job (BigQuery: at most 10,000 source URIs per load job). */
  maxFiles: number;
  /** Most bytes in one job; a single larger file still makes a job of its own. */
  maxBytes: number;
}

export const DEFAULT_GROUP_LIMITS: GroupLimits = { maxFiles: 2_000, maxBytes: 4 * 1024 ** 3 };

/** Cuts an ordered stream of files into consecutive groups within the limits, lazily. */
export async function* groupFiles<T extends { size: number }>(
  files: AsyncIterable<T>,
  limits: GroupLimits,
): AsyncGenerator<T[]> {
  let group: T[] = [];
  let bytes = 0;
  for await (const file of files) {
    if (group.length > 0 && (group.length >= limits.maxFiles || bytes + file.size > limits.maxBytes)) {
      yield group;
      group = [];
      bytes = 0;
    }
    group.push(file);
    bytes += file.size;
  }
  if (group.length > 0) yield group;
}

/**
 * `{table}_{32 hex}`: a hash of the table and the sorted keys. A `salt` gives a
 * different family of ids for the same files (backfill reloads on purpose).
 * Letters, digits and underscores only, so the id can be part of BigQuery job
 * and table names.
 */
export function jobIdFor(table: LoadTable, keys: readonly string[], salt = ''): string {
  const hash = createHash('sha256');
  hash.update(`${table}\n${salt}\n`);
  // JSON-quoted, so no key can run into the next.
  for (const key of [...keys].sort()) hash.update(`${JSON.stringify(key)}\n`);
  const digest = hash.digest('hex').slice(0, 32);
  return salt ? `backfill_${table}_${digest}` : `${table}_${digest}`;
}
