// `eventkit-worker dlq list`: what is in the dead-letter store, in counts and
// reason codes. Never payload values (nor reason messages, which may quote a
// short excerpt of a client's value): codes, field paths, streams, sources.
import type { DeadLetter } from '@eventkit/shared/event';

export interface DeadLetterSummary {
  total: number;
  byType: Record<string, number>;
  /** `code` or `code@path`, with counts, most frequent first. */
  reasons: { reason: string; errorType: string; count: number }[];
  byStream: Record<string, number>;
  bySource: Record<string, number>;
  /** Letters `dlq replay` can re-publish: with an event, or with raw envelope bytes. */
  replayable: { events: number; rawMessages: number; neither: number };
  oldest?: string;
  newest?: string;
}

const inc = (m: Record<string, number>, k: string) => {
  m[k] = (m[k] ?? 0) + 1;
};

export async function summarize(letters: AsyncIterable<DeadLetter>): Promise<DeadLetterSummary> {
  const summary: DeadLetterSummary = {
    total: 0,
    byType: {},
    reasons: [],
    byStream: {},
    bySource: {},
    replayable: { events: 0, rawMessages: 0, neither: 0 },
  };
  const reasons = new Map<string, { reason: string; errorType: string; count: number }>();
  for await (const letter of letters) {
    summary.total++;
    inc(summary.byType, letter.errorType);
    inc(summary.byStream, letter.stream ?? '(unknown)');
    inc(summary.bySource, letter.source ?? '(unknown)');
    for (const r of letter.reasons) {
      const reason = r.path ? `${r.code}@${r.path}` : r.code;
      const key = `${letter.errorType}\u0000${reason}`;
      const entry = reasons.get(key) ?? { reason, errorType: letter.errorType, count: 0 };
      entry.count++;
      reasons.set(key, entry);
    }
    if (typeof letter.payload === 'object' && letter.payload !== null) summary.replayable.events++;
    else if (letter.raw) summary.replayable.rawMessages++;
    else summary.replayable.neither++;
    if (!summary.oldest || letter.failedAt < summary.oldest) summary.oldest = letter.failedAt;
    if (!summary.newest || letter.failedAt > summary.newest) summary.newest = letter.failedAt;
  }
  summary.reasons = [...reasons.values()].sort(
    (a, b) => b.count - a.count || a.reason.localeCompare(b.reason),
  );
  return summary;
}

function table(title: string, counts: Record<string, number>): string[] {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (entries.length === 0) return [];
  const width = Math.max(...entries.map(([k]) => k.length));
  return [title, ...entries.map(([k, n]) => `  ${k.padEnd(width)}  ${n}`)];
}

export function formatSummary(s: DeadLetterSummary): string {
  if (s.total === 0) return 'No dead letters match.\n';
  const lines = [
    `${s.total} dead letter(s), failed ${s.oldest} … ${s.newest}`,
    ...table('By error type:', s.byType),
    'By reason (code@field):',
    ...s.reasons.map((r) => `  ${r.errorType.padEnd(10)}  ${r.reason}  ${r.count}`),
    ...table('By stream:', s.byStream),
    ...table('By source:', s.bySource),
    `Replayable: ${s.replayable.events} event(s), ${s.replayable.rawMessages} raw message(s); ${s.replayable.neither} not replayable`,
  ];
  return `${lines.join('\n')}\n`;
}
