// Rewrites the generated parts of README.md (the configuration table) from
// the settings definitions, so the documentation cannot drift from the code.
//   node scripts/update-readme.ts          # rewrite README.md
//   node scripts/update-readme.ts --check  # exit 1 when README.md is out of date
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderConfigTable } from '../packages/shared/src/config/table.ts';

export const README = fileURLToPath(new URL('../README.md', import.meta.url));
const START = '<!-- config-table:start -->';
const END = '<!-- config-table:end -->';

export function renderReadme(current: string): string {
  const start = current.indexOf(START);
  const end = current.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md lacks the ${START} … ${END} markers`);
  return `${current.slice(0, start + START.length)}\n${renderConfigTable().trimEnd()}\n${current.slice(end)}`;
}

if (import.meta.main) {
  const current = readFileSync(README, 'utf8');
  const next = renderReadme(current);
  if (process.argv.includes('--check')) {
    if (next !== current) {
      console.error('README.md configuration table is out of date: run `node scripts/update-readme.ts`');
      process.exit(1);
    }
  } else {
    writeFileSync(README, next);
  }
}
