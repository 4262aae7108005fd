// A role's `doctor` command body: run the checks, print the table (or JSON) on
// stdout, and end with exit 1 when one failed.
import { QuietExit } from '../cli/program.ts';
import { type Check, exitCodeOf, runChecks } from './check.ts';
import { renderDoctor } from './report.ts';

export async function runDoctor(program: string, checks: readonly Check[], json: boolean): Promise<void> {
  const results = await runChecks(checks);
  const code = exitCodeOf(results);
  if (results.some((r) => r.timedOut)) {
    // A check that timed out is still running inside its client, which may retry for
    // minutes and refuse to close cleanly (Firestore rejects its pending read when
    // terminated): the report is complete, so print it and end the process here.
    await new Promise<void>((resolve) =>
      process.stdout.write(renderDoctor(program, results, json), () => resolve()),
    );
    process.exit(code);
  }
  process.stdout.write(renderDoctor(program, results, json));
  if (code !== 0) throw new QuietExit(code);
}
