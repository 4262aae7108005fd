// Results: JSON, a markdown table, and the same table in the root README's
// Reliability section (between its chaos-table markers).
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@eventkit/testing';
import type { ScenarioResult } from './measure.ts';

export interface LogScan {
  files: number;
  lines: number;
  /** Lines holding a canary (a user id, an email, a property value, the write key). */
  leaks: number;
  examples: string[];
}

export interface RunReport {
  started_at: string;
  seconds: number;
  machine: string;
  scenarios: ScenarioResult[];
  log_scan: LogScan;
}

const cell = (v: unknown) => (v === null || v === undefined ? '—' : String(v));

export function markdownTable(r: RunReport): string {
  const head =
    '| scenario | fault | acknowledged | landed | missing | duplicated | stuck | recover (s) | HTTP statuses | result |\n' +
    '|---|---|---:|---:|---:|---:|---:|---:|---|---|\n';
  const rows = r.scenarios
    .map((s) => {
      const http = Object.entries(s.http)
        .sort()
        .map(([k, v]) => `${k}×${v}`)
        .join(' ');
      return `| ${s.scenario} | ${s.fault} | ${s.acknowledged} | ${s.landed} | ${s.missing} | ${s.duplicated} | ${s.stuck} | ${cell(s.recover_s)} | ${http} | ${s.ok ? 'pass' : '**FAIL**'} |`;
    })
    .join('\n');
  const scan = `Log scan: ${r.log_scan.lines} lines in ${r.log_scan.files} process logs, ${r.log_scan.leaks} holding a canary (user id, email address, property value or write key).`;
  return `${head}${rows}\n\n${scan}\n`;
}

export function markdownReport(r: RunReport): string {
  const notes = r.scenarios
    .filter((s) => s.notes.length > 0)
    .map((s) => `- **${s.scenario}**: ${s.notes.join('; ')}`)
    .join('\n');
  return `# make chaos — ${r.started_at}\n\n${r.seconds} s on ${r.machine}.\n\n${markdownTable(r)}\n${notes ? `## Notes\n\n${notes}\n` : ''}`;
}

export function writeResults(dir: string, r: RunReport): void {
  const json = join(dir, 'latest.json');
  writeFileSync(json, `${JSON.stringify(r, null, 2)}\n`);
  writeFileSync(join(dir, 'latest.md'), markdownReport(r));
  // In the repository's JSON style, so `biome check .` stays clean (best effort).
  spawnSync(join(REPO_ROOT, 'node_modules/.bin/biome'), ['format', '--write', json], { stdio: 'ignore' });
}

const START = '<!-- chaos-table:start -->';
const END = '<!-- chaos-table:end -->';

/** Puts the table into the README between the markers (when they are there). */
export function updateReadme(r: RunReport): boolean {
  const path = join(REPO_ROOT, 'README.md');
  const text = readFileSync(path, 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) return false;
  const body = `\n_Last run: ${r.started_at}, ${r.seconds} s on ${r.machine}._\n\n${markdownTable(r)}`;
  writeFileSync(path, `${text.slice(0, a + START.length)}${body}${text.slice(b)}`);
  return true;
}
