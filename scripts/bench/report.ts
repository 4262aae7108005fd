// `make bench`'s outputs from the benchmarks' reports: the markdown summary
// (also the README's Performance table, between its bench markers) and the
// SVG charts (vega-lite, rendered without a browser).
import { readFileSync, writeFileSync } from 'node:fs';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

import type { BenchReport } from '../../packages/testing/src/bench/figures.ts';

export type { BenchReport };
export interface BenchRun {
  at: string;
  seconds: number;
  machine: { cores: number; cpu: string; memory_gib: number; node: string; load_before: number[] };
  command: string;
  benches: BenchReport[];
  failed: string[];
}

const fmt = (n: number) => (Math.abs(n) >= 1000 ? Math.round(n).toLocaleString('en-US') : String(n));

export function markdown(run: BenchRun): string {
  const m = run.machine;
  const lines = [
    `_Last run: ${run.at}, ${run.seconds} s; ${m.cores} cores (${m.cpu}), ${m.memory_gib} GiB, Node ${m.node}; load average before: ${m.load_before.map((x) => x.toFixed(2)).join(', ')}._`,
    '',
    `Reproduce: \`${run.command}\`. Each figure is the median of its runs (min–max beside it); a ratio is to the ceiling measured in the same run.`,
  ];
  if (run.failed.length > 0) lines.push('', `**Benchmarks that failed:** ${run.failed.join(', ')}`);
  for (const b of run.benches) {
    lines.push(
      '',
      `**${b.bench}**`,
      '',
      '| figure | median | min–max | runs | ceiling (same run) | ratio |',
      '|---|---:|---:|---:|---|---:|',
    );
    for (const f of b.figures) {
      const ceiling = f.ceiling ? `${f.ceiling.label}: ${fmt(f.ceiling.median)} ${f.unit}` : '';
      lines.push(
        `| ${f.label} | ${fmt(f.median)} ${f.unit} | ${fmt(f.min)}–${fmt(f.max)} | ${f.runs} | ${ceiling} | ${f.ratio ?? ''} |`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

async function svg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  return view.toSVG();
}

/** Charts: the gateway's throughput and p99 against concurrency; every figure against its ceiling. */
export async function charts(run: BenchRun): Promise<{ file: string; svg: string }[]> {
  const out: { file: string; svg: string }[] = [];
  const gateway = run.benches.find((b) => b.bench === 'gateway');
  const sweep = (gateway?.figures ?? []).filter(
    (f) => f.tags?.shape === 'single' && f.tags.concurrency !== undefined,
  );
  if (sweep.length > 0) {
    const rows = sweep.map((f) => ({
      target: String(f.tags?.target),
      concurrency: Number(f.tags?.concurrency),
      metric: f.unit === 'ms' ? 'p99 (ms)' : 'events/s',
      value: f.median,
    }));
    out.push({
      file: 'gateway.svg',
      svg: await svg({
        $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
        title: 'Gateway, single-event requests: throughput and p99 against concurrency',
        data: { values: rows },
        facet: { column: { field: 'metric', type: 'nominal', title: null } },
        spec: {
          width: 320,
          height: 220,
          mark: { type: 'line', point: true },
          encoding: {
            x: { field: 'concurrency', type: 'quantitative', title: 'connections' },
            y: { field: 'value', type: 'quantitative', title: null },
            color: { field: 'target', type: 'nominal' },
          },
        },
        resolve: { scale: { y: 'independent' } },
      } as TopLevelSpec),
    });
  }
  // Ratios, not absolute values: a 350k events/s batch ceiling would flatten every other bar.
  const ratios = run.benches.flatMap((b) =>
    b.figures
      .filter((f) => f.ratio !== undefined)
      .map((f) => ({ bench: b.bench, figure: f.label, ratio: f.ratio, ceiling: f.ceiling?.label ?? '' })),
  );
  if (ratios.length > 0) {
    out.push({
      file: 'ceilings.svg',
      svg: await svg({
        $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
        title: 'Each figure as a share of the ceiling measured in the same run (1 = the ceiling)',
        data: { values: ratios },
        width: 360,
        layer: [
          {
            mark: 'bar',
            encoding: {
              y: { field: 'figure', type: 'nominal', title: null, sort: null, axis: { labelLimit: 520 } },
              x: {
                field: 'ratio',
                type: 'quantitative',
                title: 'ratio to the ceiling',
                scale: { domain: [0, 1.2] },
              },
              color: { field: 'bench', type: 'nominal' },
            },
          },
          { mark: { type: 'rule', strokeDash: [4, 4] }, encoding: { x: { datum: 1 } } },
        ],
      } as TopLevelSpec),
    });
  }
  return out;
}

const START = '<!-- bench:start -->';
const END = '<!-- bench:end -->';

/** Replaces the README's Performance table (between the bench markers) with `body`. */
export function updateReadme(readmePath: string, body: string): void {
  const text = readFileSync(readmePath, 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${readmePath} has no ${START} … ${END} markers`);
  writeFileSync(readmePath, `${text.slice(0, a + START.length)}\n${body}${text.slice(b)}`);
}
