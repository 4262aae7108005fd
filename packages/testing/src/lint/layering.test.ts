// The layering rules in biome.json bite: each forbidden import, in a file at
// the path it would have in the repository, fails `biome lint` with the
// rule's message, and the allowed neighbours pass. (Biome applies the last
// matching override per rule, so a reordered biome.json could silently drop
// a rule: this is what would notice.) Runs Biome on a copy of biome.json in
// a temporary tree, never in the repository's own.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, test } from 'vitest';
import { REPO_ROOT } from '../process/cli-process.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'eventkit-layering-'));
copyFileSync(path.join(REPO_ROOT, 'biome.json'), path.join(dir, 'biome.json'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function lint(
  file: string,
  importLine: string,
  body = 'export const y = x;',
): { ok: boolean; output: string } {
  const target = path.join(
    dir,
    file.replace(/(\.test)?\.ts$/, (ext) => `-${++n}${ext}`),
  );
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, `${importLine}\n${body}\n`);
  const res = spawnSync(
    path.join(REPO_ROOT, 'node_modules/.bin/biome'),
    ['lint', path.relative(dir, target)],
    {
      cwd: dir,
      encoding: 'utf8',
    },
  );
  return { ok: res.status === 0, output: `${res.stdout}${res.stderr}` };
}

const CORE = /core code depends on ports/;
const ROLE = /a role imports only @eventkit\/shared/;
const SHARED = /shared is below every role/;

describe('layering rules (biome.json)', () => {
  const refused: [string, string, RegExp][] = [
    ['packages/worker/src/core/a.ts', "import { Hono as x } from 'hono';", CORE],
    ['packages/worker/src/dlq/a.ts', "import { PubSub as x } from '@google-cloud/pubsub';", CORE],
    ['packages/loader/src/core/a.ts', "import { DuckDBInstance as x } from '@duckdb/node-api';", CORE],
    ['packages/gateway/src/wal/a.ts', "import { serve as x } from '@hono/node-server';", CORE],
    ['packages/shared/src/event/a.ts', "import { GoogleAuth as x } from 'google-auth-library';", CORE],
    ['packages/worker/src/core/b.ts', "import { x } from '@eventkit/loader';", ROLE],
    ['packages/worker/src/sinks/a.ts', "import { x } from '../../../loader/src/core/loader.ts';", ROLE],
    ['packages/gateway/src/a.ts', "import { x } from '@eventkit/worker';", ROLE],
    ['packages/loader/src/a.ts', "import { x } from '@eventkit/gateway';", ROLE],
    ['packages/shared/src/a.ts', "import { x } from '@eventkit/testing';", SHARED],
    ['packages/shared/src/ports/a.ts', "import { x } from '@eventkit/worker';", SHARED],
  ];
  for (const [file, line, message] of refused) {
    test(`refused: ${line} in ${file}`, () => {
      const res = lint(file, line);
      assert.equal(res.ok, false, res.output);
      assert.match(res.output, message);
    });
  }
  const allowed: [string, string][] = [
    ['packages/worker/src/sinks/a.ts', "import { Firestore as x } from '@google-cloud/firestore';"],
    ['packages/gateway/src/http/a.ts', "import { Hono as x } from 'hono';"],
    ['packages/worker/src/core/c.ts', "import { x } from '@eventkit/shared';"],
    ['packages/worker/src/core/a.test.ts', "import { PubSub as x } from '@google-cloud/pubsub';"],
  ];
  for (const [file, line] of allowed) {
    test(`allowed: ${line} in ${file}`, () => {
      const res = lint(file, line);
      assert.equal(res.ok, true, res.output);
    });
  }
});

// House size: no production function over 80 lines, signature to closing brace (Biome counts the
// lines between the braces, hence maxLines 78), tests and test tools aside.
describe('house size (biome.json)', () => {
  const fn = (lines: number) =>
    `export function f(): number {\n  let x = 0;\n${'  x += 1;\n'.repeat(lines - 4)}  return x;\n}`;
  test('an 80-line function in production code passes', () => {
    const res = lint('packages/worker/src/core/a.ts', '', fn(80));
    assert.equal(res.ok, true, res.output);
  });
  test('an 81-line function in production code is refused', () => {
    const res = lint('packages/loader/src/core/a.ts', '', fn(81));
    assert.equal(res.ok, false, res.output);
    assert.match(res.output, /noExcessiveLinesPerFunction/);
  });
  test('tests and test tools may be longer', () => {
    assert.equal(lint('packages/worker/src/core/a.test.ts', '', fn(120)).ok, true);
    assert.equal(lint('packages/testing/src/fake-gcs/a.ts', '', fn(120)).ok, true);
  });
  const file = (lines: number) =>
    Array.from({ length: lines }, (_, i) => `export const a${i} = ${i};`).join('\n');
  test('a 400-line production file passes, a 401-line one is refused', () => {
    assert.equal(lint('packages/gateway/src/http/a.ts', file(399)).ok, true);
    const res = lint('packages/gateway/src/http/a.ts', file(400));
    assert.equal(res.ok, false, res.output);
    assert.match(res.output, /noExcessiveLinesPerFile/);
  });
});
