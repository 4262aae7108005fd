// Output of the loader's commands: human text on a terminal, JSON for scripts.
import type { LoaderStatus } from '../core/report.ts';
import type { QueryResult } from '../warehouse/duckdb/query.ts';

const cellText = (v: unknown): string => {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
};

/** An aligned text table with a row count, like psql's. */
export function formatTable(result: QueryResult): string {
  const cells = result.rows.map((row) => row.map((v) => cellText(v).replace(/\s*\n\s*/g, ' ')));
  const widths = result.columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]?.length ?? 0)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join(' | ')
      .trimEnd();
  const n = result.rows.length;
  return [
    line(result.columns),
    widths.map((w) => '-'.repeat(w)).join('-+-'),
    ...cells.map(line),
    `(${n} ${n === 1 ? 'row' : 'rows'})`,
  ].join('\n');
}

/** Rows as objects keyed by column name (a repeated name gets a numeric suffix). */
export function jsonRows(result: QueryResult): Record<string, unknown>[] {
  const names: string[] = [];
  for (const c of result.columns) {
    let name = c;
    for (let i = 2; names.includes(name); i++) name = `${c}_${i}`;
    names.push(name);
  }
  return result.rows.map((row) => Object.fromEntries(names.map((name, i) => [name, row[i]])));
}

export interface StatusView {
  warehouse: string;
  target: string;
  pending: { files: number; bytes: number; oldestAgeSeconds: number | null; events: number; errors: number };
  loaded: { files: number; rows: number; lastLoadAt: string | null } | null;
  /** Files set aside because they can never load (the first 100), with the reason. */
  quarantined: { key: string; table: string; reason: string; quarantinedAt: string }[];
}

export function statusView(status: LoaderStatus, target: string, now: Date): StatusView {
  const oldest = status.pending.oldest;
  return {
    warehouse: status.warehouse,
    target,
    pending: {
      files: status.pending.files,
      bytes: status.pending.bytes,
      oldestAgeSeconds: oldest ? Math.max(0, Math.round((now.getTime() - oldest.getTime()) / 1000)) : null,
      events: status.pending.byTable.events,
      errors: status.pending.byTable.errors,
    },
    loaded: status.loaded
      ? {
          files: status.loaded.files,
          rows: status.loaded.rows,
          lastLoadAt: status.loaded.lastLoadedAt?.toISOString() ?? null,
        }
      : null,
    quarantined: status.quarantined.map((q) => ({
      key: q.key,
      table: q.table,
      reason: q.reason,
      quarantinedAt: q.quarantined_at,
    })),
  };
}

const number = (n: number) => n.toLocaleString('en-US');

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${n} B` : `${value.toFixed(1)} ${units[unit]}`;
}

export function formatAge(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${seconds % 60}s`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`;
  return `${Math.floor(seconds / 86_400)}d ${Math.floor((seconds % 86_400) / 3600)}h`;
}

export function formatStatus(v: StatusView, now: Date): string {
  const pending =
    v.pending.files === 0
      ? 'none'
      : `${number(v.pending.files)} files (${formatBytes(v.pending.bytes)}: ${number(v.pending.events)} event, ${number(v.pending.errors)} dead-letter), oldest ${formatAge(v.pending.oldestAgeSeconds ?? 0)} old`;
  let loaded = 'unknown';
  if (v.loaded) {
    const last = v.loaded.lastLoadAt
      ? `${v.loaded.lastLoadAt} (${formatAge(Math.max(0, Math.round((now.getTime() - Date.parse(v.loaded.lastLoadAt)) / 1000)))} ago)`
      : 'never';
    loaded = `${number(v.loaded.files)} files, ${number(v.loaded.rows)} rows; last load ${last}`;
  }
  const quarantined =
    v.quarantined.length === 0
      ? 'none'
      : `${number(v.quarantined.length)} ${v.quarantined.length === 1 ? 'file' : 'files'} that can never load (eventkit-loader release <key> after a fix; see the loader README)`;
  return [
    `warehouse  ${v.warehouse} ${v.target}`,
    `pending    ${pending}`,
    `loaded     ${loaded}`,
    `quarantine ${quarantined}`,
    ...v.quarantined.map((q) => `  ${q.key}  ${q.quarantinedAt}  ${q.reason}`),
  ].join('\n');
}
