// `--since` for the dlq commands: an ISO-8601 date or time, or a duration back
// from now (`30m`, `24h`, `7d`).
import { CliError } from '@eventkit/shared/cli';

const UNITS: Readonly<Record<string, number>> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

export function parseSince(text: string, now = new Date()): Date {
  const relative = /^(\d+)\s*([smhdw])$/i.exec(text.trim());
  if (relative) return new Date(now.getTime() - Number(relative[1]) * UNITS[relative[2]!.toLowerCase()]!);
  if (/^\d{4}-\d{2}-\d{2}/.test(text.trim())) {
    const at = new Date(text.trim());
    if (!Number.isNaN(at.getTime())) return at;
  }
  throw new CliError(
    `--since: expected an ISO date or time (2026-11-27, 2026-11-27T10:00Z) or a duration (30m, 24h, 7d), got "${text}"`,
    2,
  );
}
