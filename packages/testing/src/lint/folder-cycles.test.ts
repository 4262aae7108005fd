// No import cycles between folders: the repository has none, and a planted one is found.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'vitest';
import { REPO_ROOT } from '../process/cli-process.ts';
import { folderCycles, folderGraph } from './folder-cycles.ts';

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'eventkit-folders-'));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

describe('folder import cycles', () => {
  test('no two folders of any package import each other, directly or round a loop', () => {
    const graph = folderGraph(path.join(REPO_ROOT, 'packages'));
    assert.ok(graph.size > 30, `the graph has ${graph.size} folders: the walk found the packages`);
    const cycles = folderCycles(graph).map((c) => c.map((f) => path.relative(REPO_ROOT, f)));
    assert.deepEqual(cycles, []);
  });

  test('a loop through three folders, one of them by a dynamic import, is found; tests and src/ are not edges', () => {
    const dir = tree({
      'p/src/a/x.ts': "import { y } from '../b/y.ts';",
      'p/src/b/y.ts': "export const y = await import('../c/z.ts');",
      'p/src/c/z.ts': "import { x } from '../a/x.ts';",
      'p/src/d/w.ts': "import { y } from '../b/y.ts';",
      'p/src/b/y.test.ts': "import { w } from '../d/w.ts';",
      'p/src/cli.ts': "import { w } from './d/w.ts';",
      'p/src/d/v.ts': "import { cli } from '../cli.ts';",
    });
    try {
      const cycles = folderCycles(folderGraph(dir)).map((c) => c.map((f) => path.relative(dir, f)));
      assert.deepEqual(cycles, [['p/src/a', 'p/src/b', 'p/src/c']]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
