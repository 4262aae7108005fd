// deploy/monitoring: the alert rules and the Grafana dashboard use only metric
// names the code exports (with _bucket/_sum/_count only on histograms, rate()
// and increase() only on counters and histogram series), the labels the code
// gives them, and logs-based metrics that deploy/terraform defines, on log
// messages the loader writes.
import assert from 'node:assert/strict';
import { describe, test } from 'vitest';
import { parse } from 'yaml';
import { metricNames, read } from './code-facts.ts';

// biome-ignore lint/suspicious/noExplicitAny: free-form JSON and YAML
type Obj = Record<string, any>;

const rules = parse(read('deploy/monitoring/rules.yaml')) as Obj;
const dashboard = JSON.parse(read('deploy/monitoring/grafana-dashboard.json')) as Obj;
const exprs: { where: string; expr: string }[] = [
  ...rules.spec.groups.flatMap((g: Obj) =>
    g.rules.map((r: Obj) => ({ where: `rule ${r.alert}`, expr: r.expr })),
  ),
  ...dashboard.panels.flatMap((p: Obj) =>
    p.targets.map((t: Obj) => ({ where: `panel "${p.title}"`, expr: t.expr as string })),
  ),
];
const defined = metricNames();

/** Label names per metric, from the code (plus role, which the registry adds to every series, and GMP's pod/job). */
function labelsOf(name: string): Set<string> {
  const sources = [
    'packages/gateway/src/metrics.ts',
    'packages/worker/src/core/metrics.ts',
    'packages/loader/src/core/metrics.ts',
  ]
    .map(read)
    .join('\n');
  const block =
    sources.match(new RegExp(`name: '${name}',[^}]*?labelNames: \\[([^\\]]*)\\]`, 's'))?.[1] ?? '';
  const own = [...block.matchAll(/'([a-z_]+)'/g)].map((m) => m[1] as string);
  return new Set([...own, 'role', 'pod', 'job', 'instance', 'namespace', 'cluster', 'le']);
}

describe('deploy/monitoring', () => {
  test('rules and dashboard exist and cover what issue 11 asks for', () => {
    const alerts = rules.spec.groups.flatMap((g: Obj) => g.rules.map((r: Obj) => r.alert as string));
    for (const a of [
      'EventkitWalBacklogGrowing',
      'EventkitGatewayDown',
      'EventkitWorkerBehind',
      'EventkitDeadLettersRising',
      'EventkitLoaderFailing',
      'EventkitLoaderBehind',
    ]) {
      assert.ok(alerts.includes(a), a);
    }
    const titles = dashboard.panels.map((p: Obj) => p.title.toLowerCase()).join(' | ');
    for (const t of [
      'throughput',
      'ack latency',
      'wal backlog',
      'publish lag',
      'worker lag',
      'worker backlog',
      'dead letters',
      'loader',
    ]) {
      assert.ok(titles.includes(t), `a panel about ${t}`);
    }
  });

  test('every eventkit_ metric is one the code exports, with suffixes only where its type has them', () => {
    const problems: string[] = [];
    for (const { where, expr } of exprs) {
      for (const m of expr.matchAll(/\b(eventkit_[a-z_]+)/g)) {
        const raw = m[1] as string;
        const base = raw.replace(/_(bucket|sum|count)$/, '');
        const type = defined.get(raw) ?? defined.get(base);
        if (!type) problems.push(`${where}: ${raw} is not exported`);
        else if (raw !== base && !defined.has(raw) && type !== 'Histogram')
          problems.push(`${where}: ${raw} on a ${type}`);
      }
    }
    assert.deepEqual(problems, []);
  });

  test('rate() and increase() only on counters and histogram series; label matchers and by() are labels the metric has', () => {
    const problems: string[] = [];
    for (const { where, expr } of exprs) {
      for (const m of expr.matchAll(/\b(?:rate|increase)\((eventkit_[a-z_]+)/g)) {
        const raw = m[1] as string;
        const type = defined.get(raw) ?? defined.get(raw.replace(/_(bucket|sum|count)$/, ''));
        if (type === 'Gauge') problems.push(`${where}: rate/increase of the gauge ${raw}`);
      }
      for (const m of expr.matchAll(/\b(eventkit_[a-z_]+)\{([^}]*)\}/g)) {
        const name = (m[1] as string).replace(/_(bucket|sum|count)$/, '');
        for (const l of (m[2] as string).matchAll(/([a-z_]+)\s*(?:=~|!=|!~|=)/g)) {
          if (!labelsOf(name).has(l[1] as string)) problems.push(`${where}: ${name} has no label ${l[1]}`);
        }
      }
      for (const m of expr.matchAll(/by \(([^)]*)\) \((?:rate|increase)?\(?(eventkit_[a-z_]+)/g)) {
        const name = (m[2] as string).replace(/_(bucket|sum|count)$/, '');
        for (const l of (m[1] as string).split(',').map((s) => s.trim())) {
          if (!labelsOf(name).has(l)) problems.push(`${where}: ${name} has no label ${l}`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  test('logs-based loader metrics are defined in deploy/terraform, on messages the loader logs', () => {
    const tf = read('deploy/terraform/monitoring.tf');
    const loader = read('packages/loader/src/core/loader.ts');
    const report = read('packages/loader/src/core/report.ts');
    for (const { where, expr } of exprs) {
      for (const m of expr.matchAll(/logging_googleapis_com:user_([a-z_]+?)(?:_bucket|_sum|_count)?\b/g)) {
        const name = m[1] as string;
        assert.match(
          tf,
          new RegExp(`name\\s+= "${name}"`),
          `${where}: ${name} is a logging metric of monitoring.tf`,
        );
      }
    }
    // The summary line: a run ('load_run') ends in finishReport (report.ts), which logs
    // load_run_finished / load_run_failed with these fields, which the metrics extract.
    assert.match(loader, /#run\('load_run'/);
    assert.match(loader, /finishReport\(report, started, what,/);
    assert.match(report, /`\$\{what\}_finished`/);
    assert.match(report, /`\$\{what\}_failed`/);
    for (const field of ['rows_inserted', 'duration_ms']) {
      assert.match(report, new RegExp(`${field}:`), `the summary has ${field}`);
      assert.match(tf, new RegExp(`EXTRACT\\(jsonPayload\\.${field}\\)`));
    }
    assert.match(
      read('packages/shared/src/logging/logger.ts'),
      /messageKey: 'message'/,
      'JSON logs carry the message key',
    );
  });
});
