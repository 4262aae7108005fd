// What `doctor` prints: a table for people, or one JSON document (--json).
import { jsonOutput } from '../cli/json-output.ts';
import type { CheckResult } from './check.ts';

const MARK = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' } as const;

export function renderDoctor(role: string, results: readonly CheckResult[], json: boolean): string {
  const failed = results.filter((r) => r.status === 'fail').length;
  if (json) return `${jsonOutput({ role, ok: failed === 0, checks: results })}\n`;
  const width = Math.max(...results.map((r) => r.check.length), 5);
  const lines = results.flatMap((r) => {
    const row = `${MARK[r.status]}  ${r.check.padEnd(width)}  ${r.detail}`;
    return r.fix && r.status !== 'ok' ? [row, `${' '.repeat(width + 8)}fix: ${r.fix}`] : [row];
  });
  const summary = failed
    ? `${failed} of ${results.length} checks failed`
    : `${results.length === 1 ? 'the check' : `all ${results.length} checks`} passed`;
  return `${lines.join('\n')}\n\n${role} doctor: ${summary}\n`;
}
