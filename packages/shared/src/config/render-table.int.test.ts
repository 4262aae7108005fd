import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'vitest';
import { configTableRows, renderConfigTable } from './table.ts';

const md = renderConfigTable();

test('the script prints the table, or JSON rows with --json', () => {
  const script = fileURLToPath(new URL('./render-table.ts', import.meta.url));
  const asMd = spawnSync(process.execPath, [script], { encoding: 'utf8' });
  assert.equal(asMd.status, 0, asMd.stderr);
  assert.equal(asMd.stdout, md);
  const asJson = spawnSync(process.execPath, [script, '--json'], { encoding: 'utf8' });
  assert.equal(asJson.status, 0, asJson.stderr);
  const rows = JSON.parse(asJson.stdout) as { env: string }[];
  assert.deepEqual(
    rows.map((r) => r.env),
    configTableRows().map((r) => r.env),
  );
});
