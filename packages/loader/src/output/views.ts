// What `eventkit-loader views` prints: the views it keeps, one line each, and
// the event names (or views) left without one, with why.
import type { ViewsReport } from '../warehouse/views/types.ts';
import { formatTable } from './format.ts';

const MAX_EVENTS_SHOWN = 3;

export function formatViews(report: ViewsReport, where: string): string {
  const created = report.views.filter((v) => v.changed).length;
  const rows = report.views.map((v) => {
    const events = v.events ?? [];
    const more = events.length > MAX_EVENTS_SHOWN ? `, … (${events.length})` : '';
    return [
      v.name,
      v.kind,
      v.columns.length,
      events.slice(0, MAX_EVENTS_SHOWN).join(', ') + more,
      v.changed ? 'created' : 'unchanged',
    ];
  });
  const lines = [
    `${report.views.length} views in ${where} (${created} created or replaced)`,
    formatTable({ columns: ['view', 'kind', 'columns', 'events', 'state'], rows }),
  ];
  if (report.skipped.length > 0) {
    lines.push(`no view for ${report.skipped.length}:`);
    for (const s of report.skipped) lines.push(`  ${s.name}: ${s.reason}`);
  }
  return lines.join('\n');
}
