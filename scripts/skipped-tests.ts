// The rule for skipped tests under CI: a test that does not run proves
// nothing, and a skip that slipped in (a missing emulator, a `{ skip }` left
// behind, a `t.skip()` on a condition that is always true there) would pass
// unnoticed. So with CI=true every skipped (or todo) test fails the run, except
// the opt-in tests listed here, which need a real cloud project CI does not have.

/** Test files whose tests may be skipped under CI, each with the reason. */
export const ALLOWED_SKIPS: Readonly<Record<string, string>> = {
  'packages/loader/src/warehouse/bigquery/bigquery-real.int.test.ts':
    'opt-in: the warehouse contract against a real BigQuery project (needs EVENTKIT_TEST_BIGQUERY_PROJECT, EVENTKIT_TEST_GCS_BUCKET and credentials)',
};

export interface SkippedTest {
  name: string;
  /** The test file, relative to the repository root. */
  file: string;
  /** `skipped` or `todo`. */
  type: string;
  message: string;
}

const unescapeXml = (s: string) =>
  s
    .replaceAll('&quot;', '"')
    .replaceAll('&apos;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');

const attr = (attrs: string, name: string) =>
  unescapeXml(new RegExp(`\\b${name}="([^"]*)"`).exec(attrs)?.[1] ?? '');

/** The skipped and todo tests of a JUnit report written by Node's test runner. */
export function skippedTests(junitXml: string, root: string): SkippedTest[] {
  const out: SkippedTest[] = [];
  const prefix = root.endsWith('/') ? root : `${root}/`;
  for (const m of junitXml.matchAll(/<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const skipped = /<skipped\b([^>]*?)\/?>/.exec(m[3] ?? '');
    if (!skipped) continue;
    const file = attr(m[1] ?? '', 'file');
    out.push({
      name: attr(m[1] ?? '', 'name'),
      file: file.startsWith(prefix) ? file.slice(prefix.length) : file,
      type: attr(skipped[1] ?? '', 'type') || 'skipped',
      message: attr(skipped[1] ?? '', 'message'),
    });
  }
  return out;
}

/** The skipped tests that fail a CI run: every one outside ALLOWED_SKIPS. */
export function disallowedSkips(junitXml: string, root: string): SkippedTest[] {
  return skippedTests(junitXml, root).filter((t) => !(t.file in ALLOWED_SKIPS));
}
