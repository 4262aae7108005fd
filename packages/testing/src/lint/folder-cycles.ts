// Import cycles between folders (Biome's noImportCycles sees files only). A folder's edges are
// the relative imports (static and dynamic) of its production files; each package's src/ root
// is left out, because it is the composition root by design: cli.ts imports commands/, and the
// commands import compose.ts beside it.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const IMPORT = /\bfrom\s+'(\.[^']+)'|\bimport\(\s*'(\.[^']+)'\s*\)/g;

function* productionFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') yield* productionFiles(full);
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
      yield full;
    }
  }
}

/** Folder → the folders its files import, for every package under `packagesDir`. */
export function folderGraph(packagesDir: string): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const pkg of readdirSync(packagesDir)) {
    const src = path.join(packagesDir, pkg, 'src');
    let files: string[];
    try {
      files = [...productionFiles(src)];
    } catch {
      continue;
    }
    for (const file of files) {
      const from = path.dirname(file);
      for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
        const to = path.dirname(path.resolve(from, m[1] ?? m[2]!));
        if (to === from || from === src || to === src) continue;
        const edges = graph.get(from) ?? new Set<string>();
        edges.add(to);
        graph.set(from, edges);
      }
    }
  }
  return graph;
}

/** Strongly connected groups of more than one folder (Tarjan), each sorted. */
export function folderCycles(graph: Map<string, Set<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const group: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      group.push(w);
    } while (w !== v);
    if (group.length > 1) cycles.push(group.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles;
}
