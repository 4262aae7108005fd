// What a test run produced, as the summary reporter writes it
// (test-results/<kind>.summary.json), and the rules run-tests.ts applies to it.
//
// The rule for skipped tests under CI: a test that does not run proves
// nothing, and a skip that slipped in (a missing emulator, a `skip` left
// behind, a `ctx.skip()` on a condition that is always true there) would pass
// unnoticed. So with CI=true every skipped (or todo) test fails the run, except
// the opt-in tests listed here, which need a real cloud project CI does not have.

/** Test files whose tests may be skipped under CI, each with the reason. */
export const ALLOWED_SKIPS: Readonly<Record<string, string>> = {
  'packages/loader/src/warehouse/bigquery/bigquery-real.int.test.ts':
    'opt-in: the warehouse contract against a real BigQuery project (needs EVENTKIT_TEST_BIGQUERY_PROJECT, EVENTKIT_TEST_GCS_BUCKET and credentials)',
};

export type Outcome = 'passed' | 'failed' | 'skipped' | 'todo';

export interface TestOutcome {
  /** The test file, relative to the repository root. */
  file: string;
  /** Suite names and the test's name, joined by ` › `. */
  name: string;
  outcome: Outcome;
  /** Why it was skipped (`ctx.skip(note)`), when it says. */
  note?: string;
}

export interface RunSummary {
  tests: TestOutcome[];
  /** Files that failed outside any test (an import error, a failing hook, an unhandled error). */
  failedFiles: { file: string; error: string }[];
}

/** The skipped and todo tests that fail a CI run: every one outside ALLOWED_SKIPS. */
export function disallowedSkips(summary: RunSummary): TestOutcome[] {
  return summary.tests.filter(
    (t) => (t.outcome === 'skipped' || t.outcome === 'todo') && !(t.file in ALLOWED_SKIPS),
  );
}

export interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

/** Counts per package (by the test file that runs the test: a contract suite counts where it runs); a file that failed outside its tests counts as one failure. */
export function countsPerPackage(summary: RunSummary): Map<string, Counts> {
  const per = new Map<string, Counts>();
  const bump = (file: string, key: keyof Counts) => {
    const pkg = /^packages\/([^/]+)\//.exec(file)?.[1] ?? 'other';
    const c = per.get(pkg) ?? { passed: 0, failed: 0, skipped: 0 };
    c[key]++;
    per.set(pkg, c);
  };
  for (const t of summary.tests) bump(t.file, t.outcome === 'todo' ? 'skipped' : t.outcome);
  for (const f of summary.failedFiles) bump(f.file, 'failed');
  return new Map([...per].sort(([a], [b]) => a.localeCompare(b)));
}

/** The per-package table and the closing line CI reads, in the plain "N passed, N failed" form. */
export function formatCounts(per: Map<string, Counts>): string {
  const lines = ['tests per package (by the test file that runs them):'];
  const total: Counts = { passed: 0, failed: 0, skipped: 0 };
  for (const [pkg, c] of per) {
    lines.push(`  ${pkg.padEnd(10)} ${c.passed} passed / ${c.failed} failed / ${c.skipped} skipped`);
    total.passed += c.passed;
    total.failed += c.failed;
    total.skipped += c.skipped;
  }
  lines.push(`tests: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
  return lines.join('\n');
}
