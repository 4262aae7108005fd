// A vitest reporter that writes what run-tests.ts needs to apply the CI rules
// and print the closing counts: every test's file, name and outcome, and the
// files that failed outside their tests. Written to $EVENTKIT_TEST_SUMMARY
// (run-tests.ts sets it); without it the reporter does nothing. While the run
// goes on, `<that file>.running` lists the files started and not yet finished,
// so a run stopped at its deadline can say which files never ended.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import type { Reporter, SerializedError, TestCase, TestModule } from 'vitest/node';
import type { RunSummary, TestOutcome } from './summary.ts';

export default class SummaryReporter implements Reporter {
  readonly #running = new Set<string>();

  onTestModuleStart(module: TestModule): void {
    this.#running.add(relative(process.cwd(), module.moduleId));
    this.#writeRunning();
  }

  onTestModuleEnd(module: TestModule): void {
    this.#running.delete(relative(process.cwd(), module.moduleId));
    this.#writeRunning();
  }

  #writeRunning(): void {
    const out = process.env.EVENTKIT_TEST_SUMMARY;
    if (!out) return;
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(`${out}.running`, JSON.stringify([...this.#running]));
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandled: ReadonlyArray<SerializedError>): void {
    const out = process.env.EVENTKIT_TEST_SUMMARY;
    if (!out) return;
    const summary: RunSummary = { tests: [], failedFiles: [] };
    for (const module of modules) {
      const file = relative(process.cwd(), module.moduleId);
      for (const test of module.children.allTests()) summary.tests.push(outcomeOf(file, test));
      const errors = module.errors();
      if (errors.length > 0) {
        summary.failedFiles.push({ file, error: errors.map((e) => e.message).join('; ') });
      }
    }
    // An error no test owns (thrown after a test ended, a rejected promise nobody awaited) fails the run too.
    for (const e of unhandled) summary.failedFiles.push({ file: '(unhandled)', error: e.message });
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify(summary, null, 1));
  }
}

function outcomeOf(file: string, test: TestCase): TestOutcome {
  const result = test.result();
  const name = test.fullName.replaceAll(' > ', ' › ');
  if (result.state === 'skipped') {
    const outcome = test.options.mode === 'todo' ? 'todo' : 'skipped';
    return result.note ? { file, name, outcome, note: result.note } : { file, name, outcome };
  }
  // `pending` only when the run was cut short: the test never finished, which is a failure.
  return { file, name, outcome: result.state === 'passed' ? 'passed' : 'failed' };
}
